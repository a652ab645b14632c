/** `npm run validate`: validates every platform and facility stack file and the rules across them. */
import { validateRepository } from "./stackfiles";

const report = validateRepository();
if (report.errors.length > 0) {
  console.error(report.errors.join("\n\n"));
  process.exit(1);
}
console.log(
  `ok: ${report.platforms.size} platform stack(s) [${[...report.platforms.keys()].join(", ")}], ` +
    `${report.facilities.length} facility stack(s) [${report.facilities.map((f) => f.stack).join(", ")}]`,
);
for (const f of report.facilities) {
  for (const key of f.missingSecrets) {
    console.log(
      `note: ${f.stack}: secret facility:${key} not set yet (cd facilities && pulumi config set --secret facility:${key} -s ${f.stack})`,
    );
  }
}
