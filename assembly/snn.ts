// The spiking network's per-step plumbing between layers (SCIENCE.md §2): event-driven propagation
// of spikes through a weight matrix, the neurons' input current, and the output readout. The LIF
// step itself is lif.ts's, the synaptic filters synapse.ts's.

/**
 * out[b, :] = Σ_i s[b, i]·wT[i, :] over the inputs that spiked (s ≠ 0), for B rows: the weighted
 * input of one simulation step. wT is the transposed weight matrix (nIn × nOut, row i holds input
 * i's outgoing weights), so each spike adds one contiguous row. Spikes are sparse — a few percent
 * of neurons fire in a 1 ms step — so this costs events·nOut where the dense product costs
 * nIn·nOut; inputs are visited in index order, so the sum has a fixed order. Returns the number of
 * events.
 */
export function propagateSpikes(B: i32, nIn: i32, nOut: i32, spikes: usize, wT: usize, out: usize): i32 {
  let events = 0;
  const rowBytes = <usize>nOut << 2;
  const zero = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const s = spikes + (<usize>b * <usize>nIn << 2);
    const y = out + <usize>b * rowBytes;
    memory.fill(y, 0, rowBytes);
    let i = 0;
    // Skip silent inputs four at a time.
    for (; i + 4 <= nIn; i += 4) {
      if (!v128.any_true(f32x4.ne(v128.load(s + (<usize>i << 2)), zero))) continue;
      for (let k = i; k < i + 4; k++) {
        const value = load<f32>(s + (<usize>k << 2));
        if (value != 0) {
          addRow(nOut, value, wT + <usize>k * rowBytes, y);
          events++;
        }
      }
    }
    for (; i < nIn; i++) {
      const value = load<f32>(s + (<usize>i << 2));
      if (value != 0) {
        addRow(nOut, value, wT + <usize>i * rowBytes, y);
        events++;
      }
    }
  }
  return events;
}

/** y += value·w over n floats. */
// @ts-ignore: decorator
@inline
function addRow(n: i32, value: f32, w: usize, y: usize): void {
  const a = f32x4.splat(value);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(a, v128.load(w + o))));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(y + o, load<f32>(y + o) + value * load<f32>(w + o));
  }
}

/**
 * out[b, j] = gain·(y[b, j] + bias[j]) for B rows of n neurons: the input current of a layer whose
 * (filtered) weighted input is y — the same j = gain·(W·a + b) the rate network's activation sees.
 * out may alias y.
 */
export function neuronCurrent(B: i32, n: i32, y: usize, bias: usize, gain: f32, out: usize): void {
  const g = f32x4.splat(gain);
  for (let b = 0; b < B; b++) {
    const row = <usize>b * <usize>n << 2;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + row + o, f32x4.mul(g, f32x4.add(v128.load(y + row + o), v128.load(bias + o))));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(out + row + o, gain * (load<f32>(y + row + o) + load<f32>(bias + o)));
    }
  }
}

/**
 * The readout's bookkeeping after a lifStep over n neurons that ended at time tEnd: for each neuron
 * that fired (spikes ≠ 0), counts[i] += 1, and first[i] takes its spike time if it has none yet
 * (first[i] = +Inf until then). The spike time is the crossing lifStep interpolated: its refractory
 * period t_ref started then, so with `refractory` left at the end of the step the crossing was
 * t_ref − refractory before tEnd (never earlier than the step's start, tEnd − dt).
 */
export function recordSpikes(n: i32, tEnd: f32, dt: f32, tRef: f32, spikes: usize, refractory: usize, counts: usize, first: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    if (load<f32>(spikes + o) == 0) continue;
    store<f32>(counts + o, load<f32>(counts + o) + 1);
    if (load<f32>(first + o) == Infinity) {
      const since = min<f32>(tRef - load<f32>(refractory + o), dt);
      store<f32>(first + o, tEnd - since);
    }
  }
}
