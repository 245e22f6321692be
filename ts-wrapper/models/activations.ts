// Activation names and the kernel codes they map to (assembly/activation.ts). "softlif" is the
// scaled soft-LIF rate amplitude·r(gain·z), with the model's neuron parameters (neuron.ts).

export const ACTIVATIONS = ["relu", "sigmoid", "tanh", "identity", "softlif"] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

const CODES: Record<ActivationName, number> = { identity: 0, relu: 1, sigmoid: 2, tanh: 3, softlif: 4 };

export function activationCode(name: ActivationName): number {
  const code = CODES[name];
  if (code === undefined) throw new Error(`unknown activation "${name}" (expected one of ${ACTIVATIONS.join(", ")})`);
  return code;
}
