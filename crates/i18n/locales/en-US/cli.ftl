# The hotline command's messages where a person reads them (crates/cli).
# --json output is for scripts and is never translated.

## Every command
cli-error = error: { $error }

## How current the archive is (offline.rs)
cli-no-timestamp = no timestamp
cli-checkpoint-phrase = the checkpoint verified { $age } ago (size { $size }, { $time })
cli-archive-as-of = the archive as of { $checkpoint }
cli-archive-empty = the archive, which holds no verified checkpoint of this channel yet (nothing until a sync succeeds)
cli-fresh-unreachable = warning: channel { $channel }: relay unreachable ({ $why }); showing { $held }
cli-fresh-synced = channel { $channel }: synced; showing { $held }
cli-fresh-synced-nothing-new = channel { $channel }: synced, nothing new since; showing { $held }
cli-fresh-not-synced = channel { $channel }: not synced by this command; showing { $held }
cli-fresh-alarms = warning: channel { $channel }: { $alarms } alarm(s) on record; `hotline alarms` shows them with their evidence

## hotline inbox
cli-inbox-nothing = Nothing needs you.
cli-inbox-row = { $owed } due { $due } — { $item } from { $from }: { $title }
cli-inbox-row-overdue = OVERDUE { $owed } due { $due } — { $item } from { $from }: { $title }
cli-inbox-case = { $kind } case { $id }
cli-inbox-request = disclosure request { $id }
cli-inbox-ping = ping { $id }
cli-owed-ack = ack
cli-owed-answer = answer
cli-owed-consent = consent or refusal
cli-owed-pong = pong
cli-inbox-ping-title = communication check
cli-not-dated = (not yet dated)

## hotline case show
cli-case-head = { $kind } case { $id }: { $title }
cli-case-from-to = from { $from } to { $to }
cli-case-opened = opened { $opened }, state { $state }
cli-case-due = acknowledgement due { $ack }, answer due { $answer }
cli-text-authentic = [{ $lang }, authentic]
cli-text-translation = [{ $lang }, translation]
cli-text-one = [{ $lang }]
cli-text-redacted = { $label } redacted

## hotline sync, hotline watch
cli-synced = { $channel }: verified up to { $size } ({ $new } new entries, { $opened } opened for us)
cli-synced-cosigned = { $channel }: verified up to { $size } ({ $new } new entries, { $opened } opened for us), receipt cosigned
cli-sync-alarm = { $channel }: ALARM { $kind }: { $detail }
cli-sync-failed = { $channel }: could not sync: { $error }
cli-alarms-standing = { $alarms } alarm(s) on record: `hotline alarms` shows them with their evidence
cli-watching = Watching { $channels } channel(s) of { $profile } (Ctrl-C to stop)
cli-watch-alerts = Alerts to { $targets } target(s), from { $file }
cli-watch-message = #{ $index } { $kind } in case { $case }: { $title }
cli-watch-alarm = ALARM #{ $id } channel { $channel } { $kind }: { $detail } (`hotline alarms` shows the evidence)

## hotline alarms
cli-alarms-none = No alarms.
cli-alarm = #{ $id } { $raised } channel { $channel } { $kind }: { $detail }
cli-alarm-evidence = evidence: { $items } signed item(s) (--json shows them, base64)

## hotline verify
cli-verify-bundle = Disclosure bundle { $file }
cli-verify-channel = channel   { $title }
cli-verify-log = log       { $origin }, { $size } entries
cli-verify-purpose = purpose   { $purpose }
cli-verify-party = party     { $short } ({ $name }){ $flags }
cli-verify-party-of-cases = , party of the cases
cli-verify-consented = , consented
cli-verify-not-consented = , NOT consented
cli-verify-refused = , REFUSED
cli-verify-receipt = , receipt on the checkpoint
cli-verify-checks = Checks:
cli-verify-ok = ok
cli-verify-fail = FAIL
cli-verify-messages = Messages disclosed: { $count }
cli-verify-message = #{ $index } { $kind } from { $party }: { $title }
cli-verify-redacted-parts = { $title } ({ $parts } part(s) redacted)
cli-verify-verdict = Verdict: { $verdict }
cli-verdict-valid = VALID
cli-verdict-invalid = INVALID
cli-verdict-not-consented = NOT CONSENTED (missing: { $missing })
cli-verdict-not-consented-refused = NOT CONSENTED (missing: { $missing }; refused by a party)
cli-caused-by = caused by: { $cause }

## Sending (hotline case, ping, pong)
cli-queued = Queued { $what } { $id } for the courier: it goes out with the next `hotline sync --import … --out`, and is sequenced when the courier posts it (`hotline post`)
cli-sync-incomplete = warning: channel { $channel }: { $error }; what follows is the verified log without them
cli-opened = Opened { $kind } case { $id } (log entry { $index })
cli-draft-sent = Sent the { $objects } object(s) of draft { $name }
cli-draft-sent-left = Sent the { $objects } object(s) of draft { $name }; { $left } added meanwhile are still in it
cli-sent-reply = Sent { $kind } { $id } on case { $case } (log entry { $index })
cli-sent-ping = Sent ping { $id } (log entry { $index })
cli-sent-pong = Sent pong { $id } to ping { $ping } (log entry { $index })
cli-undated = warning: log entry { $index } is sequenced, but the relay has not yet logged a time attestation dating it (with the witnesses' cosignatures the charter asks for); its deadlines start from the time that attestation gives. Run `hotline sync` later; if none comes, `hotline alarms` shows undated-entry.
cli-stix-valid = STIX evidence: valid STIX 2.1, { $bytes } bytes
cli-stix-valid-warnings = STIX evidence: valid STIX 2.1, { $bytes } bytes ({ $warnings } warning(s): { $first })
cli-stix-invalid = STIX evidence: NOT valid STIX 2.1 ({ $errors } error(s), first: { $first })

## hotline report
cli-report-channel = Channel { $channel } — { $cases } cases ({ $open } open), { $pings } pings
cli-report-minutes = { $minutes } min
cli-report-party = { $party }: received { $received }, acknowledged on time { $acked } (late { $acked_late }), answered on time { $answered } (late { $answered_late }), median ack { $median_ack }, median answer { $median_answer }, open { $open }, overdue { $overdue }, pings answered on time { $pongs }/{ $pings }
cli-time-logged = each message's sequencing time is the one the first time attestation logged after it gives (an entry of the log, so the same for every party)
cli-time-relay = { $logged }: the relay's own timestamp (signed by its key, never going back, at most { $skew } min ahead of this machine): the relay's operator is trusted for it; the charter names no witness
cli-time-relay-no-quorum = { $logged }: the relay's own timestamp (signed by its key, never going back, at most { $skew } min ahead of this machine): the relay's operator is trusted for it; the charter's witnesses cosign but it sets no quorum, so they do not set the times
cli-time-witnesses = { $logged }: the time by which { $quorum } of the charter's { $of } witnesses had cosigned a checkpoint covering it, by their own clocks: no single operator sets it; the relay can delay it, not backdate it

## hotline disclose
cli-disclose-requested = Requested disclosure { $id } (log entry { $index })
cli-disclose-next = Next: the other parties run `hotline disclose consent { $id }`; then `hotline disclose export { $id } --out FILE`
cli-disclose-consented = Consented to disclosure request { $id } (log entry { $index })
cli-disclose-refused = Refused disclosure request { $id } (log entry { $index })
cli-disclose-wrote = Wrote { $file } ({ $entries } entries); verified here: { $verdict }

## Alerts while watching
cli-alert-raised = alert #{ $id }: { $subject }
cli-alert-delivered = alert { $key } delivered to { $target }
cli-alert-retry = alert { $key } to { $target } failed: { $error }; trying again in { $secs } s
cli-alert-gave-up = alert { $key } to { $target } failed: { $error }; GAVE UP (alerts.toml: give_up_after; `hotline alerts list`)
cli-alert-error = alerts: { $error }

## hotline ui
cli-ui-no-display = no display, so no browser was opened: open the address above yourself
cli-ui-no-browser = no browser was opened: open the address above yourself
