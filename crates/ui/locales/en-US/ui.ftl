# The duty officer's web UI: every user-visible string (English).
app-name = Hotline
nav-inbox = Inbox
logout = Log out
skip-to-content = Skip to content

inbox-title = Inbox
inbox-empty = No case matches.
filter-legend = Filter the cases
filter-kind = Kind
filter-party = Party
filter-state = State
filter-any = any
filter-apply = Apply

col-due = Due
col-kind = Kind
col-parties = Parties
col-title = Title
col-tlp = TLP
col-state = State

needs-us = needs us
overdue = overdue
no-deadline = no deadline
left = { $left } left to { $what }
overdue-by = OVERDUE by { $left } ({ $what })
owed-ack = acknowledge
owed-answer = answer

state-open = open
state-acknowledged = acknowledged
state-answered = answered
state-closed = closed

case-title = Case
case-from-to = from { $from } to { $to }
case-opened = Opened
case-ack-due = Acknowledgement due
case-answer-due = Answer due
case-deadlines = Deadlines
case-timeline = Timeline
case-not-dated = not yet dated
case-party = Party
case-acked = Acknowledged
case-answered = Answered
deadline-met = met
deadline-missed = missed
deadline-pending = pending
case-attachments = Attachments
case-stix-valid = STIX evidence: valid STIX 2.1, { $objects } object(s), { $warnings } warning(s)
case-stix-invalid = STIX evidence: NOT valid STIX 2.1 ({ $errors } error(s), first: { $first })
case-not-found = No such case in this profile's channels.

alarm-banner = ALARM on channel { $channel }: { $kind }: { $detail } (`hotline alarms` shows the evidence)
notice-unreachable = relay unreachable: read-only, last verified checkpoint { $minutes } min ago
notice-unreachable-never = relay unreachable: read-only, no verified checkpoint of this channel yet
notice-sync-failed = sync failed: { $why }

error-unauthorized-title = Not logged in
error-unauthorized = Open the address that `hotline ui` printed (the line starting with "open"), in this browser.
error-host-title = Wrong address
error-host = This server answers only on 127.0.0.1, localhost or [::1] at its own port.
error-forbidden-title = Refused
error-forbidden = This request did not come from a page of this server (its origin or its form token is missing or wrong). Reload the page and try again.
error-internal-title = Something went wrong
error-internal = The page could not be made; the server's log says why.
error-not-found-title = Not found

action-ack-legend = Acknowledge receipt
action-ack-body = Message (optional; acknowledgement implies no agreement)
action-ack-submit = Acknowledge
action-ack-default = Receipt acknowledged. Acknowledgement implies no agreement with the content.
action-ack-not-owed = Your party owes no acknowledgement on this case (already sent, not addressed, or closed).
action-failed-title = Not sent
action-failed = The acknowledgement was not sent: { $why }. Nothing changed; try again when the relay is reachable.
