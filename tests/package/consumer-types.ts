// Type-checked inside the fresh project against the installed package's bundled .d.ts.
import { init, MLP, PCN, SNN, train, loadMNIST, type Dataset, type TrainResult } from "bioplausible";
import { renderReport } from "bioplausible/report";

export const report: (results: Parameters<typeof renderReport>[0]) => Promise<string> = renderReport;

export async function typed(data: Dataset): Promise<number> {
  await init();
  const mlp = new MLP({ layers: [data.features, 8, data.classes] });
  const run: TrainResult = train(mlp, data, { epochs: 1, batchSize: 8, lr: 0.1 });
  const pcn: PCN = new PCN({ layers: [data.features, 8, data.classes], algo: "zil" });
  const snn: SNN = SNN.fromMLP(new MLP({ layers: [data.features, 8, data.classes], activation: "softlif" }));
  const test: Dataset = await loadMNIST("test", { dataDir: "/nowhere" });
  return run.history.length + pcn.depth + snn.inputs + test.count;
}
