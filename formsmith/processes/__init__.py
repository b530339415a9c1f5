"""The processes of the service centre, one package each (PROCESSES.md): found automatically.

Each package declares `PROCESS = register(Process(...))` in its `__init__.py` (formsmith.registry)
and holds what the process adds: `sources.py` (data builders from the store), `rules.py` (the
rules its documents must obey), and when it has them `cli.py` (its commands, added to
`formsmith` on discovery), `demo.py` (its rows of the demo community), records and runs of its
own. Its templates (templates/<id>/) name it in their manifest: `process = "<name>"`.

    arrears/      欠费催缴: 缴费通知单 → 催缴函 → 法律催告函, the month-end run, tracking
    custody/      房屋托管: the custody agreement and its fee
    movein/       入住办理: registration, hand-over, meter readings, inspection and repair order
    renovation/   装修管理: agreement, permit, passes, debris fee; the works the law regulates, their approvals
    services/     客户服务: surveys, callbacks, complaints, release passes, receipts
"""
