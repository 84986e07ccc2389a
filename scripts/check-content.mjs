#!/usr/bin/env node
// `npx dateline-check-content [DIR | s3://bucket/prefix/]` from the repository (package.json
// "bin"): runs the TypeScript CLI through tsx, as `npm run check-content` does.
import { register } from "tsx/esm/api";

register();
await import("../functions/cli/check-content.ts");
