// A real OpenID Provider for the single sign-on tests: panva's certified `oidc-provider`.
//
//   node tests/accounts/oidc/provider.mjs '<config JSON>'
//
// config: {
//   "port": 18150, "issuer": "http://127.0.0.1:18150",
//   "clients": [{"client_id": "...", "client_secret": "...", "redirect_uris": ["http://.../callback/"]}],
//   "accounts": {"jo@acme.example": {"email": "jo@acme.example", "email_verified": true, "name": "Jo"}},
//   "clockOffsetSeconds": 0,        // run this provider's clock behind (negative) or ahead
//   "idTokenTtlSeconds": 600,
//   "idTokenAudience": null,        // mint ID tokens for this other registered client instead
//   "defaultAccount": null          // who signs in when the request has no login_hint
// }
//
// Interactions are approved without a page: the account is the authorization request's
// login_hint (the address typed on WorkflowOS's sign-in page), and consent is granted for the
// requested scopes. The two test-only switches model real faults without touching the tokens'
// signatures: a provider whose clock is wrong (its tokens arrive expired) and a token minted for
// another client (a mix-up: the audience is not WorkflowOS). Prints "listening <issuer>" when
// ready. Module resolution: run with NODE_PATH pointing at the node_modules holding oidc-provider.
import { createRequire } from 'node:module';
import path from 'node:path';

const config = JSON.parse(process.argv[2] || process.env.OIDC_TEST_PROVIDER_CONFIG || '{}');
const nodePath = (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);
const require = createRequire(path.join(nodePath[0] || process.cwd(), 'noop.js'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

if (config.clockOffsetSeconds) {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + config.clockOffsetSeconds * 1000;
}

const accounts = config.accounts || {};

const provider = new Provider(config.issuer, {
  clients: config.clients.map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  })),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile'],
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['workflowos-test-provider-cookie-key'] },
  ttl: { IdToken: config.idTokenTtlSeconds || 600 },
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: account.email, email_verified: account.email_verified, name: account.name };
      },
    };
  },
});

if (config.idTokenAudience) {
  const issue = provider.IdToken.prototype.issue;
  provider.IdToken.prototype.issue = async function patched(options) {
    if (options && options.use === 'idtoken') {
      this.client = await provider.Client.find(config.idTokenAudience);
    }
    return issue.call(this, options);
  };
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match || ctx.method !== 'GET') return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (details.prompt.name === 'login') {
    const hint = details.params.login_hint || config.defaultAccount;
    result = accounts[hint]
      ? { login: { accountId: hint } }
      : { error: 'access_denied', error_description: `no test account ${hint || '(no login_hint)'}` };
  } else {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    if (details.prompt.details.missingOIDCScope) grant.addOIDCScope(details.prompt.details.missingOIDCScope.join(' '));
    if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
    result = { consent: { grantId: await grant.save() } };
  }
  const target = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(target);
});

provider.listen(config.port, '127.0.0.1', () => {
  console.log(`listening ${config.issuer}`);
});
process.on('SIGTERM', () => process.exit(0));
