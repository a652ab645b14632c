/** Jest projects: one per test level, so each can be run alone (`npm run test:<level>`). */
const transform = {
  "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
};
const project = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: "node",
  transform,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  ...extra,
});

module.exports = {
  // e2e suites start real processes; they are run one at a time and set their own timeouts.
  maxWorkers: process.env.CI ? 1 : "50%",
  // Mocked programs register hundreds of resources; on a loaded two-core machine that takes seconds.
  testTimeout: 60_000,
  reporters: ["default", "<rootDir>/test/helpers/summary-reporter.js"],
  projects: [
    project("config"),
    project("connect"),
    project("unit"),
    project("policy"),
    project("delivery"),
    project("e2e"),
  ],
};
