export type { Layer } from "./layer.js";
export { Linear } from "./linear.js";
export { BatchNorm1d } from "./batchnorm.js";
export { Activation } from "./activation.js";
