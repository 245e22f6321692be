// The ops layer: shape-aware operations over Matrix views, the only callers of the kernels.

export * from "./activation.js";
export * from "./conv.js";
export * from "./elementwise.js";
export * from "./linear.js";
export * from "./loss.js";
export * from "./norm.js";
export * from "./optim.js";
export * from "./pc.js";
export * from "./rng.js";
export * from "./spiking.js";
