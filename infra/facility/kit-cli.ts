/**
 * `npm run kit -- <slug> [--outputs <file.json>] [--out <dir>]`: writes the offline kit of a facility to
 * kits/<slug>/ (or --out). The kit needs the facility stack's non-secret outputs (brokers, images,
 * tunnel addresses): from --outputs (the JSON of `pulumi stack output --json`), or by running that
 * command in facilities/ for stack <slug>. Secrets are never read.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../config/problems";
import { FACILITIES_DIR, REPO_ROOT, loadFacilityStack } from "../config/stackfiles";
import { parseKitOutputs } from "./kit-outputs";
import { generateKit } from "./kit";

const usage =
  "usage: npm run kit -- <facility slug> [--outputs <pulumi stack output --json file>] [--out <dir>]";

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function stackOutputs(slug: string, file: string | undefined): unknown {
  if (file !== undefined) return JSON.parse(fs.readFileSync(file, "utf8"));
  try {
    const text = execFileSync("pulumi", ["stack", "output", "--json", "--stack", slug], {
      cwd: FACILITIES_DIR,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return JSON.parse(text);
  } catch (e) {
    throw new Error(
      `cannot read the outputs of facility stack \`${slug}\` (${(e as Error).message.split("\n")[0]}); run \`pulumi up -s ${slug}\` in facilities/ first, or pass --outputs <file> with the JSON of \`pulumi stack output --json -s ${slug}\``,
    );
  }
}

function main(argv: string[]): number {
  const positional = argv.filter(
    (a, i) => !a.startsWith("--") && !["--outputs", "--out"].includes(argv[i - 1]),
  );
  const slug = positional[0];
  if (!slug) {
    console.error(usage);
    return 2;
  }
  const file = path.join(FACILITIES_DIR, `Pulumi.${slug}.yaml`);
  if (!fs.existsSync(file)) {
    console.error(`no facility \`${slug}\`: ${path.relative(REPO_ROOT, file)} does not exist`);
    return 1;
  }
  try {
    const facility = loadFacilityStack(file).config;
    const outputs = parseKitOutputs(stackOutputs(slug, option(argv, "--outputs")), slug);
    const dir = path.resolve(option(argv, "--out") ?? path.join(REPO_ROOT, "kits", slug));
    const kit = generateKit({ facility, ...outputs });
    for (const [rel, f] of Object.entries(kit)) {
      const target = path.join(dir, rel);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, f.content, { mode: f.mode });
      fs.chmodSync(target, f.mode);
    }
    console.log(`wrote ${Object.keys(kit).length} files to ${path.relative(process.cwd(), dir) || "."}`);
    console.log(`next: copy the folder to the facility host; README.md there has the steps`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      return 1;
    }
    console.error((e as Error).message);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
