// Package levels turns viewer activities into experience (XP) and levels, exactly once, and
// announces level-ups. The Updater consumes batches from the activity queue (SQS on AWS, an
// asynchronous SCF invocation on Tencent Cloud, the in-process queue locally); the Repository
// reads a user's standing for the HTTP API.
//
// # One record per user
//
// Everything the package knows about a user is one JSON value in the store: total XP, level,
// the XP earned today and yesterday from each capped kind, the highest level whose level-up
// effects completed, and the most recent credited activities (the first 8 bytes of the SHA-256
// of each ID, with the activity's time). Apply groups a batch by user, reads each record once,
// computes the new record in memory and writes it with one CompareAndSwap (PutIfAbsent for a new
// user). When another consumer wrote first the swap fails and the update is recomputed on the
// record that won, so racing consumers lose no credit.
//
// # Why each activity is credited at most once
//
// A credit and the memory of it are the same write: the XP an activity earns and its hash enter
// the record in one CompareAndSwap, so no state exists in which one is stored without the other.
// Take the cases in turn.
//
//   - A redelivered SQS message, a duplicated IM callback or the same batch applied twice finds
//     the activity remembered in the record and credits nothing; a repeat inside one batch is
//     caught before the record is consulted.
//   - A crash before the write leaves no trace; the queue redelivers the batch, which is credited
//     as if for the first time.
//   - A crash after the write but before the queue learns of success: the redelivery finds every
//     credited activity remembered.
//   - A write whose reply was lost, including one the store adapter itself repeated, is
//     conditional on the record it read: repeating it fails the comparison, the record is read
//     again, and the activity is found remembered. No write uses the at-least-once counters.
//
// The record remembers the Remember (default 256) latest credited activities. When it forgets
// one it raises Floor to that activity's time, and any activity at or before Floor that it does
// not remember is refused as late. An activity that has been forgotten is therefore never
// credited again; the price is that an activity first delivered after its user earned XP from
// Remember newer ones is not credited at all. Activities are timed by IM (MsgTime, EventTime),
// activities without a time or more than MaxSkew in the future are refused, so Floor cannot be
// pushed past the present. Activities that earn nothing (capped, or worth 0 XP) are not
// remembered: crediting one again can earn at most what it never earned, so they do not crowd
// out the activities that matter. Under the default rules the capped kinds let a user earn from
// at most about 215 activities a day (100 chats, 100 likes, 10 coupons, 5 follows), so with the
// default of 256 only purchases and gifts beyond that can make a record forget an activity of
// the last day.
//
// # Daily caps
//
// An activity counts against the cap of its own UTC day (from its time), so a batch delayed
// past midnight, or redelivered the next day, is capped as it would have been on time. The record
// keeps the tallies of today and yesterday; an activity older than yesterday counts against
// today's tally, which keeps the cap a bound on what a user earns in any day.
//
// # Level-up effects
//
// When the level rises the record keeps the room of the activity that raised it. After the
// write, the Updater sets Tag_Profile_IM_Level and sends LEVEL_UP to that room, and then records
// the level as announced with another CompareAndSwap. A crash or a failed effect before that
// leaves the level pending: Apply reports the user's activities as failed, and their redelivery,
// though it credits nothing, finds the level pending and runs the effects again. Setting a level
// is idempotent, and the message carries a Random derived from the user and the level, so IM
// discards a repeat sent within 5 minutes of the first; only a repeat after a longer outage can
// show the same LEVEL_UP twice. A failure that can never pass (an unknown account or room) is
// logged and the level recorded as announced.
package levels
