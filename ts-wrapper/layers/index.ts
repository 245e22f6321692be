export { IN_PLACE_BACKWARD, type Layer } from "./layer.js";
export { WeightModule } from "./weighted.js";
export { Linear } from "./linear.js";
export { Conv2d } from "./conv.js";
export { BatchNorm1d, BatchNorm2d } from "./batchnorm.js";
export { Activation } from "./activation.js";
export { Pool2d, Flatten } from "./pool.js";
