import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { SettingsError } from "./settings.ts";
import { buildDatelineStack } from "./stack.ts";

const app = new App();
try {
  buildDatelineStack(app);
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  // A settings mistake is the user's to fix: show the message, not a stack trace.
  console.error(error.message);
  process.exit(1);
}
// cdk-nag v3 runs as a policy validation plugin: any finding that is not acknowledged (with a
// reason, next to the construct it concerns) makes `cdk synth` and `cdk deploy` fail.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
