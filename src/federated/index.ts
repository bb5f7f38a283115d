// `axon/federated`: the client of the federated fine-tuning Worker (targets/workers/federated) and
// the update format it speaks, for Node, browsers and Workers.
export { FederatedClient, type FederatedClientOptions, type UpdateResult } from './client.js';
export { encodeUpdate, decodeUpdate, layoutOf, jobConfig, serverStep, type JobConfig, type ParamLayout, type ServerConfig, type ServerOptimizer } from './protocol.js';
