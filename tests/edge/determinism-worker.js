// A worker for tests/edge/determinism.test.ts: GET /run trains the determinism job's models in
// workerd with the library's workerd bundle and answers their hashes as JSON.
import * as bio from "./workerd.js";
import { determinismJob } from "./determinism-job.js";

export default {
  async fetch(request) {
    if (new URL(request.url).pathname !== "/run") return new Response("GET /run runs the determinism job\n", { status: 404 });
    try {
      return Response.json(await determinismJob(bio));
    } catch (error) {
      return Response.json({ error: String(error?.stack ?? error) }, { status: 500 });
    }
  },
};
