# The inbox's first rows and the link to more (docs/ui.md, "Fast at real sizes").
inbox-shown = Showing the first { $shown } of { $total } cases, what is due first.
inbox-more = Show { $more } more
