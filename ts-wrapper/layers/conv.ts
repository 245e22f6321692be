// Conv2d: y = conv(x, W) + b over NCHW images (rows of C·H·W values), W [out, in, K, K] as
// torch.nn.Conv2d; He-initialised over its fan-in C·K², and with feedback alignment the error goes
// back through a fixed random kernel of W's shape (layers/weighted.ts).

import { conv2d, conv2dInputGrad, conv2dWeightGrad, convOutputSize, convWorkBytes, type ConvShape } from "../ops/conv.js";
import type { TensorSpec } from "../params.js";
import type { Matrix } from "../tensor.js";
import { WeightModule } from "./weighted.js";

export class Conv2d extends WeightModule {
  readonly kind = "conv";
  /** The output's [channels, height, width]. */
  readonly outputShape: [number, number, number];

  constructor(index: number, readonly shape: ConvShape) {
    const { channels, height, width, outChannels, kernel, stride, padding } = shape;
    const outputShape: [number, number, number] = [outChannels, convOutputSize(height, kernel, stride, padding), convOutputSize(width, kernel, stride, padding)];
    super(index, channels * height * width, outputShape[0] * outputShape[1] * outputShape[2]);
    this.outputShape = outputShape;
  }

  /** Inputs each output sums over: C·K². */
  get fanIn(): number {
    return this.shape.channels * this.shape.kernel ** 2;
  }

  tensors(): TensorSpec[] {
    const { channels, outChannels, kernel } = this.shape;
    return [
      { name: this.weight, shape: [outChannels, channels, kernel, kernel], trainable: true },
      { name: this.bias, shape: [outChannels], trainable: true },
    ];
  }

  protected workBytes(): number {
    return convWorkBytes(this.params.runtime, this.shape);
  }

  predict(x: Matrix, out: Matrix): void {
    conv2d(x, this.shape, this.weights(), this.biases(), out, this.work);
  }

  weightGradient(x: Matrix, dy: Matrix): void {
    conv2dWeightGrad(x, this.shape, dy, this.params.gradMatrix(this.weight), this.params.gradMatrix(this.bias), this.work);
  }

  inputGradient(dy: Matrix, dx: Matrix): void {
    conv2dInputGrad(dy, this.shape, this.backwardMatrix(), dx, this.work);
  }
}
