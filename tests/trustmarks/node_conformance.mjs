// Cross-check with the JavaScript reference tools, run by tests/trustmarks/test_conformance.py:
// jsonld.js expansion in its real safe mode (shipped contexts only, no network) and signature
// verification with node `jose`, resolving the kid "<JWKS URL>#<thumbprint>" to a key of the set.
// Usage: node --input-type=module -e "$(cat node_conformance.mjs)" INPUT.json   (cwd: a folder whose
// node_modules has jsonld and jose). INPUT: {"contexts": {url: file}, "documents": [...],
// "tokens": [...], "jwks": {...}}. Prints {"documents": [...], "tokens": [...]}: "ok" or the error.
import { readFileSync } from "node:fs";
import jsonld from "jsonld";
import { compactVerify, importJWK } from "jose";

const input = JSON.parse(readFileSync(process.argv[process.argv.length - 1], "utf8"));

const documentLoader = async (url) => {
  const file = input.contexts[url];
  if (!file) throw new Error(`context ${url} is not shipped (no network fetches)`);
  return { contextUrl: null, documentUrl: url, document: JSON.parse(readFileSync(file, "utf8")) };
};

const keyFor = async (header) => {
  const thumbprint = header.kid.split("#").pop();
  const jwk = input.jwks.keys.find((k) => k.kid === thumbprint);
  if (!jwk) throw new Error(`no key ${thumbprint}`);
  return importJWK(jwk, "EdDSA");
};

const out = { documents: [], tokens: [] };
for (const document of input.documents) {
  try {
    await jsonld.expand(document, { documentLoader, safe: true }); // jsonld.js names safe mode "safe"
    out.documents.push("ok");
  } catch (error) {
    const event = error.details && error.details.event;
    out.documents.push(`${error.message || error} ${event ? `${event.code}: ${JSON.stringify(event.details)}` : ""}`);
  }
}
for (const token of input.tokens) {
  try {
    const { payload } = await compactVerify(token, keyFor, { algorithms: ["EdDSA"] });
    JSON.parse(new TextDecoder().decode(payload));
    out.tokens.push("ok");
  } catch (error) {
    out.tokens.push(String(error.code || error.message || error));
  }
}
console.log(JSON.stringify(out));
