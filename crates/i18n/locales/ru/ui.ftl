# Веб-интерфейс дежурного: все строки, видимые пользователю (русский).
app-name = Hotline
nav-inbox = Входящие
logout = Выйти
notify-enable = Разрешить уведомления
skip-to-content = К содержимому

inbox-title = Входящие
inbox-empty = Ни одно дело не подходит.
filter-legend = Отбор дел
filter-kind = Вид
filter-party = Сторона
filter-state = Состояние
filter-any = любой
filter-apply = Применить

col-due = Срок
col-kind = Вид
col-parties = Стороны
col-title = Заголовок
col-tlp = TLP
col-state = Состояние

needs-us = ждёт нас
overdue = просрочено
no-deadline = без срока
due-not-yet-dated = срок ещё не датирован ретранслятором
left = осталось { $left }, чтобы { $what }
overdue-by = ПРОСРОЧЕНО на { $left } ({ $what })
owed-ack = подтвердить получение
owed-answer = ответить

state-open = открыто
state-acknowledged = получение подтверждено
state-answered = дан ответ
state-closed = закрыто

case-title = Дело
case-from-to = от { $from } для { $to }
case-opened = Открыто
case-ack-due = Подтвердить получение до
case-answer-due = Ответить до
case-deadlines = Сроки
case-timeline = Ход дела
case-not-dated = ещё не датировано
case-party = Сторона
case-acked = Получение подтверждено
case-answered = Ответ дан
deadline-met = соблюдён
deadline-missed = нарушен
deadline-pending = ожидается
case-text-authentic = { $lang }: аутентичный текст
case-text-translation = { $lang }: перевод, не аутентичный
case-texts-equal = Тексты на языках { $langs } равно аутентичны.
case-attachments = Вложения
case-stix-valid = Доказательства STIX: корректный STIX 2.1, { $objects ->
    [one] { $objects } объект
    [few] { $objects } объекта
   *[many] { $objects } объектов
}, предупреждений: { $warnings }
case-stix-invalid = Доказательства STIX: НЕкорректный STIX 2.1 (ошибок: { $errors }, первая: { $first })
case-not-found = В каналах этого профиля такого дела нет.

alarm-banner = ТРЕВОГА в канале { $channel }: { $kind }: { $detail } (`hotline alarms` показывает доказательства)
notice-unreachable = ретранслятор недоступен: только чтение, последняя проверенная контрольная точка — { $minutes } мин назад
notice-unreachable-never = ретранслятор недоступен: только чтение, проверенной контрольной точки этого канала ещё нет
notice-sync-failed = синхронизация не удалась: { $why }

error-unauthorized-title = Вход не выполнен
error-unauthorized = Откройте в этом браузере адрес, который напечатала команда `hotline ui` (строка, начинающаяся с «open»).
error-host-title = Неверный адрес
error-host = Этот сервер отвечает только на 127.0.0.1, localhost или [::1] на своём порту.
error-forbidden-title = Отказано
error-forbidden = Этот запрос пришёл не со страницы этого сервера (его источник или токен формы отсутствует или неверен). Обновите страницу и попробуйте снова.
error-internal-title = Что-то пошло не так
error-internal = Страницу не удалось построить; причина — в журнале сервера.
error-not-found-title = Не найдено

action-ack-legend = Подтвердить получение
action-ack-body = Сообщение (необязательно; подтверждение получения не означает согласия)
action-ack-submit = Подтвердить
action-ack-default = Получение подтверждено. Подтверждение получения не означает согласия с содержанием.
action-ack-not-owed = Ваша сторона не должна подтверждать получение по этому делу (уже подтвердила, не является адресатом, или дело закрыто).
action-interim-legend = Отправить промежуточный ответ
action-interim-body = Промежуточный ответ (Markdown)
action-interim-submit = Отправить промежуточный ответ
action-interim-not-owed = Промежуточный ответ неприменим: ваша сторона не адресат этого дела, уже ответила, или дело закрыто.
action-answer-legend = Ответ
action-answer-body = Ответ (Markdown)
action-answer-submit = Отправить ответ
action-answer-not-owed = Ответ неприменим: ваша сторона не адресат этого дела, уже ответила, или дело закрыто.
action-clarify-legend = Запросить или дать разъяснение
action-clarify-body = Разъяснение (Markdown)
action-clarify-submit = Отправить разъяснение
action-clarify-not-owed = Разъяснение неприменимо: ваша сторона не участвует в этом деле, или оно закрыто (сначала откройте его вновь).
action-close-legend = Закрыть дело
action-close-body = Заключительная записка (Markdown)
action-close-submit = Закрыть дело
action-close-not-owed = Закрытие неприменимо: ваша сторона не участвует в этом деле, или оно уже закрыто.
action-reopen-legend = Открыть дело вновь
action-reopen-body = Почему дело открывается вновь (Markdown)
action-reopen-submit = Открыть вновь
action-reopen-not-owed = Повторное открытие неприменимо: ваша сторона не участвует в этом деле, или оно не закрыто.
action-body-needed = Сначала напишите текст сообщения: без него можно отправить только подтверждение получения. Ничего не отправлено.
action-too-long = Текст сообщения длиннее 16 КиБ. Ничего не отправлено; сократите его или отправьте текст как доказательство через `hotline case`.
case-actions = Действия
action-failed-title = Не отправлено
action-failed = Сообщение не отправлено: { $why }. Ничего не изменилось.
nav-compose = Написать
compose-title = Новое дело
compose-errors = Не отправлено: сначала исправьте
compose-stix-result = Проверка доказательств STIX
compose-preview = Предпросмотр
compose-channel = Канал
compose-kind = Вид
compose-to = Стороны-адресаты
compose-norm = Норма ГПЭ ООН, на которую ссылаются (необязательно)
compose-norm-none = (нет)
compose-tlp = Метка TLP
compose-title-field = Заголовок
compose-body = Текст (Markdown)
compose-stix = Пакет STIX 2.1 (JSON, вставленный; необязательно)
compose-draft = Или объекты STIX из черновика
compose-draft-none = (без черновика)
compose-draft-item = { $name } ({ $objects ->
    [one] { $objects } объект
    [few] { $objects } объекта
   *[many] { $objects } объектов
})
compose-check = Проверить
compose-send = Отправить
compose-no-channel = Этот профиль не участвует ни в одном канале: сначала присоединитесь к каналу или зарегистрируйте его.
compose-bad-kind = Выберите вид дела: запрос, помощь, предупреждение, деконфликтинг или консультация.
compose-bad-party = Другой стороны { $party } в этом канале нет.
compose-no-party = Укажите хотя бы одну сторону.
compose-bad-norm = Выберите норму из списка или «нет».
compose-bad-tlp = Выберите метку TLP из списка.
compose-no-title = Дайте делу заголовок.
compose-lang = Язык текста (тег BCP 47, например ru)
compose-second = Тот же текст на другом языке
compose-body2 = Текст на другом языке (Markdown)
compose-lang2 = Его язык (тег BCP 47, например en)
compose-authentic = Какой текст аутентичен
compose-authentic-all = Оба текста, равно аутентичны
compose-authentic-first = Первый; другой — перевод
compose-authentic-second = Другой; первый — перевод
compose-bad-lang = { $lang } — не тег языка BCP 47 (например, en, ru, fr-CA).
compose-no-lang2 = Укажите язык другого текста.
compose-lang-twice = Тексты должны быть на разных языках.
compose-no-body = Напишите текст.
compose-stix-both = Дайте либо вставленный пакет, либо черновик, но не оба.
compose-draft-bad = Черновик нельзя отправить: { $why }
compose-stix-valid = Корректный STIX 2.1 (предупреждений: { $warnings })
compose-stix-invalid = Пакет STIX не является корректным STIX 2.1; ничего не отправлено:
error-too-large-title = Слишком велико
error-too-large = Форма больше, чем принимает эта страница (64 КиБ; 8 МиБ для «Написать»). Ничего не отправлено; сократите её.

# Виды сообщений (Tr::kind).
kind-inquiry = запрос
kind-assistance = просьба о помощи
kind-warning = предупреждение
kind-deconfliction = деконфликтинг
kind-consultation = консультация
kind-ack = подтверждение получения
kind-interim = промежуточный ответ
kind-answer = ответ
kind-clarification = разъяснение
kind-close = закрытие
kind-reopen = повторное открытие
kind-ping = проверка связи
kind-pong = ответ на проверку связи
kind-disclosure-request = запрос на раскрытие
kind-disclosure-consent = согласие на раскрытие
kind-disclosure-refusal = отказ в раскрытии
