/**
 * Layer rules for pushmesh (docs/architecture.md "Layers"), run by
 * `npm run lint:deps` over the TypeScript sources of src/ and adapters/
 * (type-only imports count: a type import upward is an upward import).
 *
 * LAYERS lists the folders of src/ from the bottom up. A folder may import
 * its own files and folders below it, never one above it. Each rule is
 * named `no-upward-import-from-<folder>`, so a failure says which layer
 * broke the order.
 */

/** src/ folders, bottom first. A new folder must be placed here. */
const LAYERS = [
  'errors', // PushmeshError and every error class
  'browser', // the browser module (pushmesh/browser): WebCrypto, IndexedDB, WebSocket only; see the browser rules below
  'util', // base64url, package root, small data structures
  'home', // the home folder
  'identity', // key, node ID, certificate, cards
  'config', // NodeConfig
  'webpush', // RFC 8188 / 8291 / 8292
  'message', // the plaintext message, its types, validation, seal/open
  'proto', // protobuf wire codecs of the message types
  'store', // SQLite, one transaction per turn
  'metrics', // Prometheus registry per node
  'bus', // the local bus, HeldStore
  'core', // shared contracts: NodeCore, SendRequest, PeerInfo, MeshPort, Inbound, DeliveryResult…
  'cloudevents', // messages <-> CloudEvents
  'signed-config', // signed configuration
  'outbox', // the durable queue for other nodes
  'transport', // peer links: contract, registry, ADS, gRPC, WebSocket, HTTPS, memory
  'inbox', // the one inbound path
  'routing', // route table, Router, Fabric contract
  'status', // delivery status and receipts
  'rpc', // request/response over the mesh
  'backends', // the backend contract and the bridge (adapters/ plug in here)
  'links', // the link manager
  'local-api', // HTTP API on 127.0.0.1:15004
  'xds', // xDS server: Envoy ADS from signed configs (above signed-config, below node)
  'node', // assembles a running node
  'cli', // the pushmesh command
];

/**
 * Node-side modules that are pure (no node:* built-in, no package, no
 * Buffer) and that src/browser/ imports instead of keeping a copy, so the
 * browser and the node share one set of bounds and rules (docs/browser-core.md).
 * They sit in layers above `browser`; the browser rules below allow these
 * files and nothing else, and `browser-shared-pure` keeps them pure.
 */
const BROWSER_SHARED = [
  '^src/errors/codes\\.ts$', // error codes (types)
  '^src/message/limits\\.ts$', // message bounds, ID / Topic / time rules
  '^src/message/json-depth\\.ts$', // JSON payload depth bound
  '^src/message/types\\.ts$', // Message, WebpushMessage, Payload, URGENCIES
  '^src/errors/pushmesh-error\\.ts$', // PushmeshError, DecryptError, VapidError
  '^src/message/plaintext-types\\.ts$', // PlaintextContent, DecodedPlaintext (types only)
  '^src/message/bad-message\\.ts$', // ERR_BAD_MESSAGE
  '^src/message/validate\\.ts$', // validateMessage, validateWebpushMessage
  '^src/errors/nack-reason\\.ts$', // NACK_REASONS
  '^src/proto/nack\\.ts$', // NACK codes, nackReasonForError
  '^src/proto/types\\.ts$', // protobuf message shapes (types only)
  '^src/identity/node-id-syntax\\.ts$', // the NodeId type, NODE_ID_LENGTH, isNodeId
];

/** The package entry (src/index.ts) sits on top of everything. */
const layerPath = (name) => `^src/${name}/`;
const above = (i) => [...LAYERS.slice(i + 1).map(layerPath), '^src/index\\.ts$'];

const upwardRules = LAYERS.map((name, i) => ({
  name: `no-upward-import-from-${name}`,
  comment: `src/${name}/ may import only the layers below it (${LAYERS.slice(0, i).join(', ') || 'none'}); see docs/architecture.md "Layers".`,
  severity: 'error',
  from: { path: layerPath(name) },
  // src/browser/ may also import the shared pure modules (BROWSER_SHARED), which live higher up.
  to: name === 'browser' ? { path: above(i), pathNot: BROWSER_SHARED } : { path: above(i) },
}));

const BACKENDS = LAYERS.indexOf('backends');

module.exports = {
  forbidden: [
    ...upwardRules,
    {
      name: 'browser-imports-only-browser',
      comment: 'src/browser/ runs in a page (docs/browser.md): it imports only src/browser/ and the shared pure modules of BROWSER_SHARED (.dependency-cruiser.cjs), no npm package and no Node built-in.',
      severity: 'error',
      from: { path: '^src/browser/' },
      to: { pathNot: ['^src/browser/', ...BROWSER_SHARED] },
    },
    {
      name: 'browser-shared-pure',
      comment: 'The Node-side modules src/browser/ shares (BROWSER_SHARED) are bundled into the page: they import no Node built-in, no npm package, and no src/ file outside BROWSER_SHARED.',
      severity: 'error',
      from: { path: BROWSER_SHARED },
      to: { pathNot: BROWSER_SHARED },
    },
    {
      name: 'no-node-code-imports-browser',
      comment: 'Node code does not import src/browser/ (it is type-checked with the DOM library and bundled by esbuild; the relay serves the built bundle as a file).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/browser/' },
      to: { path: '^src/browser/' },
    },
    {
      name: 'no-unlayered-folder',
      comment: 'Every file of src/ lives in a folder listed in LAYERS (.dependency-cruiser.cjs), or is src/index.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: [...LAYERS.map(layerPath), '^src/index\\.ts$'] },
      to: {},
    },
    {
      name: 'adapters-only-backend-contract-and-lower',
      comment: 'adapters/ are plug-ins behind the backend contract: from src/ they import src/backends/ and the layers below it, never links/, local-api/, node/, cli/ or the package entry.',
      severity: 'error',
      from: { path: '^adapters/' },
      to: { path: above(BACKENDS) },
    },
    {
      name: 'no-adapter-to-other-adapter',
      comment: 'One adapter does not reach into another (shared helpers live at the root of adapters/).',
      severity: 'error',
      from: { path: '^adapters/([^/]+)/' },
      to: { path: '^adapters/[^/]+/', pathNot: '^adapters/$1/' },
    },
    {
      name: 'no-src-to-adapters',
      comment: 'Only the cli and src/node/start-node.ts choose backends: nothing else in src/ imports adapters/.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/cli/', '^src/node/start-node\\.ts$'] },
      to: { path: '^adapters/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-dev-dependency-at-runtime',
      comment: 'src/ and adapters/ are what the package ships: no devDependencies (those are for test/, bench/, examples/).',
      severity: 'error',
      from: { path: '^(src|adapters)/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'no-undeclared-package',
      comment: 'Every package imported is in package.json dependencies.',
      severity: 'error',
      from: { path: '^(src|adapters)/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-unresolvable',
      comment: 'Every relative import resolves to a file.',
      severity: 'error',
      from: { path: '^(src|adapters)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Only src/ and adapters/ are cruised (see lint:deps): tests, benches
    // and examples may import anything.
    // src/browser/demo/ holds the demo page's static files: their imports are URLs on the relay (the bundle), not files.
    exclude: { path: ['(^|/)(dist|test)/', '^src/browser/demo/'] },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
    skipAnalysisNotInRules: true,
  },
};
