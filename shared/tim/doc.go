// Package tim speaks Tencent Cloud IM (Chat): the server REST API, the callbacks IM sends, their
// signature check, and UserSig credentials.
//
// The wire types in this package follow Tencent's field names exactly, so the same types serve the
// REST client, the callback handler and the local stand-in in package standin.
package tim
