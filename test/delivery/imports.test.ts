import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../../infra/config/stackfiles";
import { programFiles, projectEntry, relativeSpecifiers } from "../../infra/delivery/imports";

describe("relativeSpecifiers", () => {
  test.each([
    ['import { a } from "./a";', ["./a"]],
    ["import * as b from '../config/b';", ["../config/b"]],
    ['import type { C } from "./c";', ["./c"]],
    ['export * from "./d";', ["./d"]],
    ['export { e } from "../e";', ["../e"]],
    ['import "./side-effect";', ["./side-effect"]],
    ['const f = await import("./f");', ["./f"]],
    ['const g = require("../g");', ["../g"]],
    ['import {\n  h,\n  i,\n} from "./hi";', ["./hi"]],
    ['import * as pulumi from "@pulumi/pulumi";\nimport * as fs from "node:fs";', []],
  ])("%j → %j", (source, expected) => {
    expect(relativeSpecifiers(source)).toEqual(expected);
  });
});

describe("programFiles", () => {
  let root: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "imports-"));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test("follows imports transitively through folders, index files, JSON and cycles", () => {
    write(
      "infra/facility/index.ts",
      'import { t } from "./tunnel";\nimport { p } from "../platform/ports";\n',
    );
    write("infra/facility/tunnel.ts", 'import { n } from "../connect";\nimport "./index";\n');
    write("infra/connect/index.ts", 'export * from "./names.js";\n');
    write("infra/connect/names.ts", 'import data from "./defaults.json";\n');
    write("infra/connect/defaults.json", "{}");
    write("infra/platform/ports.ts", 'import * as aws from "@pulumi/aws";\n');
    write("infra/platform/kafka.ts", "export {};\n");
    expect([...programFiles(path.join(root, "infra/facility/index.ts"), root)].sort()).toEqual([
      "infra/connect/defaults.json",
      "infra/connect/index.ts",
      "infra/connect/names.ts",
      "infra/facility/index.ts",
      "infra/facility/tunnel.ts",
      "infra/platform/ports.ts",
    ]);
  });

  test("a missing entry point loads nothing", () => {
    expect(programFiles(path.join(root, "infra/platform/index.ts"), root).size).toBe(0);
  });

  test("projectEntry reads main: relative to the project file, or index.ts beside it", () => {
    write("facilities/Pulumi.yaml", "name: f\nmain: ../infra/facility/index.ts\n");
    write("Pulumi.yaml", "name: p\nmain: infra/platform/\n");
    fs.mkdirSync(path.join(root, "infra/platform"), { recursive: true });
    write("other/Pulumi.yaml", "name: o\n");
    expect(projectEntry(path.join(root, "facilities/Pulumi.yaml"))).toBe(
      path.join(root, "infra/facility/index.ts"),
    );
    expect(projectEntry(path.join(root, "Pulumi.yaml"))).toBe(path.join(root, "infra/platform/index.ts"));
    expect(projectEntry(path.join(root, "other/Pulumi.yaml"))).toBe(path.join(root, "other/index.ts"));
  });
});

test("the repository's project files name the two programs", () => {
  expect(projectEntry(path.join(REPO_ROOT, "Pulumi.yaml"))).toBe(
    path.join(REPO_ROOT, "infra/platform/index.ts"),
  );
  expect(projectEntry(path.join(REPO_ROOT, "facilities/Pulumi.yaml"))).toBe(
    path.join(REPO_ROOT, "infra/facility/index.ts"),
  );
});
