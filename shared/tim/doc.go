// Package tim speaks Tencent Cloud IM (Chat): the server REST API, the callbacks IM sends, their
// signature check, and UserSig credentials.
//
// The wire types in this package follow Tencent's field names exactly, so the same types serve the
// REST client, the callback handler and the local stand-in in package standin.
//
// A Client makes the REST calls as the app admin. It signs and caches the admin UserSig, checks
// IM's documented limits before sending anything, retries rate-limited and transient failures
// within a RetryPolicy, and reports every failure as an *Error whose ErrorCode translates it into
// one of package live's stable codes (live.EIMRateLimited, live.EIMUnavailable, …) for the HTTP
// layer to map to a status. The Validate functions expose the same limit checks to HTTP handlers.
//
// A CallbackVerifier checks the query of a callback (app, Sign and RequestTime); SignCallback
// produces that signature for the stand-in and for tests.
package tim
