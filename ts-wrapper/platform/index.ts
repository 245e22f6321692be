// The platform this build runs on. The sources (and the Node bundle) use Node's; rollup.config.js
// points the browser and edge bundles at ./web.js instead.
export { platform } from "./node.js";
export type { Platform, FileBytes, FileLookup } from "./types.js";
