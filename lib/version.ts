/** sockhop's version: deno.json's, the one place it is written (the release workflow checks the tag). */

import denoConfig from "../deno.json" with { type: "json" };

export const VERSION: string = denoConfig.version;
