# Первые строки входящих и ссылка на остальные (docs/ui.md, «Fast at real sizes»).
inbox-shown = Показаны первые { $shown } из { $total ->
    [one] { $total } дела
   *[other] { $total } дел
}, сначала то, что раньше истекает.
inbox-more = Показать ещё { $more }
