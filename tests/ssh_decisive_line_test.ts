import assert from "node:assert/strict";
import { decisiveCode, decisiveLine } from "../lib/ssh_decisive_line.ts";

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

Deno.test("decisive code: ssh's and plink's words for a refused login or host key", () => {
  const changed = [
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
    "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
    "Host key verification failed.",
  ];
  assert.equal(decisiveCode(changed), "host-key-changed");
  assert.equal(
    decisiveCode([
      "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.",
      "Host key verification failed.",
    ]),
    "host-key-unknown",
  );
  assert.equal(decisiveCode(["Host key verification failed."]), "host-key");
  assert.equal(decisiveCode(["alice@127.0.0.1: Permission denied (publickey)."]), "auth-failed");
  assert.equal(
    decisiveCode([
      "FATAL ERROR: No supported authentication methods available (server sent: publickey)",
    ]),
    "auth-failed",
  );
  assert.equal(decisiveCode(["The host key is not cached for this server:"]), "host-key-unknown");
  assert.equal(
    decisiveCode(["FATAL ERROR: Host key did not appear in manually configured list"]),
    "host-key",
  );
  assert.equal(
    decisiveCode(["ssh: connect to host 127.0.0.1 port 1: Connection refused"]),
    undefined,
  );
  assert.equal(decisiveCode([]), undefined);
});
