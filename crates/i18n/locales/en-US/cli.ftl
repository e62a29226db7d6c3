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
