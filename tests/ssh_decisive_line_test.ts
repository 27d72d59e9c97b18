import assert from "node:assert/strict";
import { decisiveLine } from "../lib/ssh_decisive_line.ts";

Deno.test("decisive line: the cause before the closing line", () => {
  assert.equal(
    decisiveLine(["Host key verification failed.", "Connection closed by UNKNOWN port 65535"]),
    "Host key verification failed.",
  );
  assert.equal(
    decisiveLine([
      "Warning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known hosts.",
      "alice@127.0.0.1: Permission denied (publickey,password).",
      "Connection closed by 127.0.0.1 port 2222",
    ]),
    "alice@127.0.0.1: Permission denied (publickey,password).",
  );
});

Deno.test("decisive line: otherwise the last line that is not only a consequence", () => {
  assert.equal(
    decisiveLine(["some remote complaint", "Connection to x closed."]),
    "some remote complaint",
  );
  assert.equal(
    decisiveLine(["Connection reset by 1.2.3.4 port 22"]),
    "Connection reset by 1.2.3.4 port 22",
  );
  assert.equal(decisiveLine([]), undefined);
});
