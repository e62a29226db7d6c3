# Сообщения команды hotline там, где их читает человек (crates/cli).
# Вывод --json предназначен для скриптов и не переводится.

## Все команды
cli-error = ошибка: { $error }

## Насколько актуален архив (offline.rs)
cli-no-timestamp = без метки времени
cli-checkpoint-phrase = контрольную точку, проверенную { $age } назад (размер { $size }, { $time })
cli-archive-as-of = архив по состоянию на { $checkpoint }
cli-archive-empty = архив, в котором ещё нет проверенной контрольной точки этого канала (ничего до первой успешной синхронизации)
cli-fresh-unreachable = предупреждение: канал { $channel }: ретранслятор недоступен ({ $why }); показан { $held }
cli-fresh-synced = канал { $channel }: синхронизирован; показан { $held }
cli-fresh-synced-nothing-new = канал { $channel }: синхронизирован, нового нет; показан { $held }
cli-fresh-not-synced = канал { $channel }: эта команда не синхронизировала; показан { $held }
cli-fresh-alarms = предупреждение: канал { $channel }: { $alarms } { $alarms ->
    [one] тревога
    [few] тревоги
   *[other] тревог
} в архиве; `hotline alarms` показывает их с доказательствами

## hotline inbox
cli-inbox-nothing = От вас ничего не требуется.
cli-inbox-row = { $owed } до { $due } — { $item } от { $from }: { $title }
cli-inbox-row-overdue = ПРОСРОЧЕНО { $owed } до { $due } — { $item } от { $from }: { $title }
cli-inbox-case = дело ({ $kind }) { $id }
cli-inbox-request = запрос на раскрытие { $id }
cli-inbox-ping = проверка связи { $id }
cli-owed-ack = подтверждение
cli-owed-answer = ответ
cli-owed-consent = согласие или отказ
cli-owed-pong = ответ на проверку связи
cli-inbox-ping-title = проверка связи
cli-not-dated = (ещё не датировано)

## hotline case show
cli-case-head = дело ({ $kind }) { $id }: { $title }
cli-case-from-to = от { $from } для { $to }
cli-case-opened = открыто { $opened }, состояние { $state }
cli-case-due = подтверждение до { $ack }, ответ до { $answer }
cli-text-authentic = [{ $lang }, аутентичный текст]
cli-text-translation = [{ $lang }, перевод]
cli-text-one = [{ $lang }]
cli-text-redacted = { $label } скрыт

## hotline sync, hotline watch
cli-synced = { $channel }: проверено до { $size } (новых записей: { $new }, открыто для нас: { $opened })
cli-synced-cosigned = { $channel }: проверено до { $size } (новых записей: { $new }, открыто для нас: { $opened }), квитанция подписана
cli-sync-alarm = { $channel }: ТРЕВОГА { $kind }: { $detail }
cli-sync-failed = { $channel }: синхронизация не удалась: { $error }
cli-alarms-standing = Тревог в архиве: { $alarms }; `hotline alarms` показывает их с доказательствами
cli-watching = Наблюдение за каналами ({ $channels }) профиля { $profile } (Ctrl-C — остановить)
cli-watch-alerts = Оповещения: получателей { $targets }, из { $file }
cli-watch-message = #{ $index } { $kind } в деле { $case }: { $title }
cli-watch-alarm = ТРЕВОГА #{ $id } канал { $channel } { $kind }: { $detail } (`hotline alarms` показывает доказательства)

## hotline alarms
cli-alarms-none = Тревог нет.
cli-alarm = #{ $id } { $raised } канал { $channel } { $kind }: { $detail }
cli-alarm-evidence = доказательства: подписанных элементов { $items } (--json показывает их в base64)

## hotline verify
cli-verify-bundle = Пакет раскрытия { $file }
cli-verify-channel = канал     { $title }
cli-verify-log = журнал    { $origin }, записей: { $size }
cli-verify-purpose = цель      { $purpose }
cli-verify-party = сторона   { $short } ({ $name }){ $flags }
cli-verify-party-of-cases = , сторона дел
cli-verify-consented = , согласие дано
cli-verify-not-consented = , согласие НЕ дано
cli-verify-refused = , ОТКАЗ
cli-verify-receipt = , квитанция на контрольной точке
cli-verify-checks = Проверки:
cli-verify-ok = ok
cli-verify-fail = ОШИБКА
cli-verify-messages = Раскрыто сообщений: { $count }
cli-verify-message = #{ $index } { $kind } от { $party }: { $title }
cli-verify-redacted-parts = { $title } (скрыто частей: { $parts })
cli-verify-verdict = Итог: { $verdict }
cli-verdict-valid = ДЕЙСТВИТЕЛЕН
cli-verdict-invalid = НЕДЕЙСТВИТЕЛЕН
cli-verdict-not-consented = НЕТ СОГЛАСИЯ (недостаёт: { $missing })
cli-verdict-not-consented-refused = НЕТ СОГЛАСИЯ (недостаёт: { $missing }; одна из сторон отказала)
cli-caused-by = причина: { $cause }

## Отправка (hotline case, ping, pong)
cli-queued = { $what } { $id } поставлено в очередь для курьера: уйдёт со следующим `hotline sync --import … --out` и будет упорядочено, когда курьер его отправит (`hotline post`)
cli-sync-incomplete = предупреждение: канал { $channel }: { $error }; далее — проверенный журнал без них
cli-opened = Открыто дело ({ $kind }) { $id } (запись журнала { $index })
cli-draft-sent = Отправлены объекты черновика { $name }: { $objects }
cli-draft-sent-left = Отправлены объекты черновика { $name }: { $objects }; добавленные тем временем ({ $left }) остаются в нём
cli-sent-reply = Отправлено: { $kind } { $id } по делу { $case } (запись журнала { $index })
cli-sent-ping = Отправлена проверка связи { $id } (запись журнала { $index })
cli-sent-pong = Отправлен ответ { $id } на проверку связи { $ping } (запись журнала { $index })
cli-undated = предупреждение: запись журнала { $index } упорядочена, но ретранслятор ещё не записал датирующую её отметку времени (с подписями свидетелей, которых требует устав); её сроки отсчитываются от времени этой отметки. Запустите `hotline sync` позже; если отметка так и не появится, `hotline alarms` покажет undated-entry.
cli-stix-valid = Доказательства STIX: корректный STIX 2.1, байт: { $bytes }
cli-stix-valid-warnings = Доказательства STIX: корректный STIX 2.1, байт: { $bytes } (предупреждений: { $warnings }; первое: { $first })
cli-stix-invalid = Доказательства STIX: НЕкорректный STIX 2.1 (ошибок: { $errors }; первая: { $first })

## hotline report
cli-report-channel = Канал { $channel } — дел: { $cases } (открытых: { $open }), проверок связи: { $pings }
cli-report-minutes = { $minutes } мин
cli-report-party = { $party }: получено { $received }, подтверждено в срок { $acked } (с опозданием { $acked_late }), отвечено в срок { $answered } (с опозданием { $answered_late }), медиана подтверждения { $median_ack }, медиана ответа { $median_answer }, открыто { $open }, просрочено { $overdue }, проверок связи отвечено в срок { $pongs }/{ $pings }
cli-time-logged = время упорядочения каждого сообщения — то, что даёт первая отметка времени, записанная в журнал после него (запись журнала, поэтому одинаковая для всех сторон)
cli-time-relay = { $logged }: собственная отметка ретранслятора (подписана его ключом, никогда не идёт назад, не более чем на { $skew } мин впереди этой машины): здесь полагаются на оператора ретранслятора; устав не называет свидетелей
cli-time-relay-no-quorum = { $logged }: собственная отметка ретранслятора (подписана его ключом, никогда не идёт назад, не более чем на { $skew } мин впереди этой машины): здесь полагаются на оператора ретранслятора; свидетели устава подписывают, но кворум не задан, поэтому время задают не они
cli-time-witnesses = { $logged }: время, к которому { $quorum } из { $of } свидетелей устава подписали контрольную точку, охватывающую его, по их собственным часам: ни один оператор не задаёт его в одиночку; ретранслятор может его задержать, но не датировать задним числом

## hotline disclose
cli-disclose-requested = Запрошено раскрытие { $id } (запись журнала { $index })
cli-disclose-next = Далее: другие стороны выполняют `hotline disclose consent { $id }`; затем `hotline disclose export { $id } --out FILE`
cli-disclose-consented = Дано согласие на запрос раскрытия { $id } (запись журнала { $index })
cli-disclose-refused = Отказано в запросе раскрытия { $id } (запись журнала { $index })
cli-disclose-wrote = Записан { $file } (записей: { $entries }); проверено здесь: { $verdict }

## Оповещения во время наблюдения
cli-alert-raised = оповещение #{ $id }: { $subject }
cli-alert-delivered = оповещение { $key } доставлено: { $target }
cli-alert-retry = оповещение { $key } для { $target } не доставлено: { $error }; новая попытка через { $secs } с
cli-alert-gave-up = оповещение { $key } для { $target } не доставлено: { $error }; ПОПЫТКИ ПРЕКРАЩЕНЫ (alerts.toml: give_up_after; `hotline alerts list`)
cli-alert-error = оповещения: { $error }

## hotline ui
cli-ui-no-display = дисплея нет, браузер не открыт: откройте адрес выше сами
cli-ui-no-browser = браузер не открыт: откройте адрес выше сами
