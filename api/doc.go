// Package api is Tributary's REST control plane: Kafka Connect's REST API
// (same paths, payloads and status codes, so existing tooling keeps working)
// plus a few extras under /api/v1, served with gin.
//
// The package owns HTTP only: routing, request decoding and validation of the
// request shape, the mapping of errors to status codes, authentication, access
// logs and the OpenAPI description (openapi.yaml, served at /openapi.yaml and
// checked against the registered routes by a test). Everything a request does
// is delegated to a Controller, which the worker implements; api knows neither
// plugins nor the cluster.
//
// Error contract: every error answer is JSON {"error_code": <status>,
// "message": "…"}. A Controller signals failures with the error values of
// package bus/worker: worker.ErrNotFound (404), worker.ErrConflict (409),
// *worker.ConfigError and *worker.BadRequestError (400); any other error is a
// 500. Errors may be wrapped; their text becomes the message.
//
// Secrets: the Controller returns connector and task configs with secret
// values already masked. The only masking api does itself is in the answer of
// config/validate, where it echoes the submitted values: values of keys whose
// definition has type PASSWORD (and of keys the plugin does not define) are
// shown as "[hidden]", as Kafka Connect does.
package api
