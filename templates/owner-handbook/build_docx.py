"""Re-create the original template.docx of the 住户手册 (owner handbook) with python-docx.

    .venv/bin/python templates/owner-handbook/build_docx.py

The office edits template.docx in Word afterwards; from then on the .docx is the source and
this script is only the record of how version 1.0 was made (running it again overwrites
their edits). Fonts are named 宋体/黑体 as in any Chinese Word document; formsmith's fontconfig
alias maps them to Noto Serif/Sans CJK SC when LibreOffice makes the PDF. The footer (number
and 第x页　共y页) and the page QR code are added by the engine, so the footer is left empty
and the top right corner of the top margin is kept free.
"""
from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
SERIF, SANS = "宋体", "黑体"
LANG = "zh-CN"  # the language of the text, Latin and East Asian runs alike


def set_font(target, name: str, size: float | None = None, bold: bool | None = None) -> None:
    """Font and language (zh-CN) of a style or run for Latin and East Asian text alike (theme fonts removed)."""
    font = target.font
    font.name = name
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)
    rpr = target.element.get_or_add_rPr() if hasattr(target.element, "get_or_add_rPr") \
        else target._r.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), LANG)
    lang.set(qn("w:eastAsia"), LANG)


def language(doc) -> None:
    """The document in Chinese throughout: python-docx's blank document says en-US as the default
    run language (LibreOffice's PDF /Lang) and ja-JP for the theme's East Asian fonts."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    lang = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    lang.set(qn("w:val"), LANG)
    lang.set(qn("w:eastAsia"), LANG)
    theme = doc.settings.element.find(qn("w:themeFontLang"))
    theme.set(qn("w:val"), LANG)
    theme.set(qn("w:eastAsia"), LANG)


def styles(doc) -> None:
    language(doc)
    st = doc.styles
    normal = st["Normal"]
    set_font(normal, SERIF, 11)
    pf = normal.paragraph_format
    pf.line_spacing = 1.5
    pf.space_after = Pt(0)
    pf.space_before = Pt(0)
    for name, size, before, after in (("Heading 1", 16, 0, 12), ("Heading 2", 13, 10, 4)):
        h = st[name]
        set_font(h, SANS, size, bold=False)
        h.font.italic = False
        h.paragraph_format.space_before = Pt(before)
        h.paragraph_format.space_after = Pt(after)
        h.paragraph_format.keep_with_next = True
        h.paragraph_format.line_spacing = 1.3
    st["Heading 1"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    st["Heading 1"].paragraph_format.page_break_before = True
    title = st["Title"]
    set_font(title, SANS, 30, bold=False)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pbdr = title.element.get_or_add_pPr().find(qn("w:pBdr"))
    if pbdr is not None:  # the default Title style underlines itself in blue
        pbdr.getparent().remove(pbdr)
    for name in ("TOC Heading",):
        if name in [s.name for s in st]:
            set_font(st[name], SANS, 16)
    for level, indent in ((1, 0), (2, 8)):
        name = f"TOC {level}"
        try:
            s = st[name]
        except KeyError:
            from docx.enum.style import WD_STYLE_TYPE
            s = st.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            s.base_style = normal
        set_font(s, SANS if level == 1 else SERIF, 12 if level == 1 else 11)
        s.paragraph_format.left_indent = Mm(indent)
        s.paragraph_format.space_before = Pt(6 if level == 1 else 0)
        s.paragraph_format.tab_stops.add_tab_stop(Mm(156), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)


def para(doc, text: str = "", indent: bool = True, bold_lead: str = "", align=None, size=None,
         font=None, space_after=0):
    p = doc.add_paragraph()
    if indent:
        p.paragraph_format.first_line_indent = Pt(22)
    if align is not None:
        p.alignment = align
    if space_after:
        p.paragraph_format.space_after = Pt(space_after)
    if bold_lead:
        r = p.add_run(bold_lead)
        set_font(r, SANS, size)
    if text:
        r = p.add_run(text)
        if font or size:
            set_font(r, font or SERIF, size)
    return p


def items(doc, lines: list[str]) -> None:
    for i, line in enumerate(lines, 1):
        p = doc.add_paragraph(f"{i}. {line}")
        p.paragraph_format.left_indent = Pt(22)
        p.paragraph_format.first_line_indent = Pt(-11)


def set_widths(t, widths_mm: list[float]) -> None:
    """Column widths Word and LibreOffice both honour: the table grid and every cell, fixed layout."""
    t.autofit = False
    grid = t._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_mm):
        col.set(qn("w:w"), str(int(Mm(w).twips)))
    for row in t.rows:
        for ci, w in enumerate(widths_mm):
            row.cells[ci].width = Mm(w)


def header_row(t, labels: list[str]) -> None:
    """The first row: 黑体 labels, centred, on a light grey ground; repeated on a new page."""
    row = t.rows[0]
    trpr = row._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    for cell, text in zip(row.cells, labels):
        cell.text = ""
        r = cell.paragraphs[0].add_run(text)
        set_font(r, SANS, 10.5)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), "E7E6E6")
        cell._tc.get_or_add_tcPr().append(shd)


def gap(doc, points: float = 6) -> None:
    """A small empty paragraph, so the text after a table does not touch it."""
    p = doc.add_paragraph()
    p.paragraph_format.line_spacing = Pt(points)
    p.paragraph_format.space_after = Pt(0)


def table(doc, header: list[str], rows: list[list[str]], widths_mm: list[float]):
    t = doc.add_table(rows=1 + len(rows), cols=len(header))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    header_row(t, header)
    for ri, row in enumerate(rows, 1):
        for ci, text in enumerate(row):
            t.rows[ri].cells[ci].text = text
    set_widths(t, widths_mm)
    for row in t.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.line_spacing = 1.2
    gap(doc)
    return t


def toc_field(doc) -> None:
    """A Word TOC field over Heading 1–2; LibreOffice (and Word, on opening) fill in the pages."""
    p = doc.add_paragraph()
    def fld(kind):
        r = OxmlElement("w:r")
        c = OxmlElement("w:fldChar")
        c.set(qn("w:fldCharType"), kind)
        r.append(c)
        p._p.append(r)
    fld("begin")
    r = OxmlElement("w:r")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = ' TOC \\o "1-2" \\h \\z \\u '
    r.append(instr)
    p._p.append(r)
    fld("separate")
    p.add_run("（目录：在 Word 中右键“更新域”，或由 formsmith 生成时自动更新页码）")
    fld("end")


def build(path: Path) -> None:
    doc = Document()
    styles(doc)
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.right_margin, sec.bottom_margin, sec.left_margin = Mm(27), Mm(26), Mm(22), Mm(28)
    sec.header_distance, sec.footer_distance = Mm(12), Mm(10)
    header = sec.header.paragraphs[0]
    r = header.add_run("{{ data.community }}住户手册")
    set_font(r, SERIF, 9)
    r.font.color.rgb = RGBColor(0x55, 0x55, 0x55)

    # ---- cover
    for _ in range(5):
        doc.add_paragraph()
    doc.add_paragraph("{{ data.community }}", style="Title")
    doc.add_paragraph("住 户 手 册", style="Title")
    for _ in range(8):
        doc.add_paragraph()
    for text in ("{{ company.name }}", "{{ company.service_centre }}", "{{ data.edition_date | cn_date }}印发"):
        p = para(doc, text, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, size=14, font=SANS)
    p = para(doc, "手册编号：{{ doc.no }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, size=10.5)

    # ---- contents
    p = doc.add_paragraph()
    p.add_run().add_break(WD_BREAK.PAGE)
    p = para(doc, "目　　录", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, size=16, font=SANS,
             space_after=12)
    toc_field(doc)

    # ---- 1 letter
    doc.add_heading("一、致住户的一封信", 1)
    para(doc, "尊敬的住户：", indent=False)
    para(doc, "欢迎您入住{{ data.community }}！{{ company.name }}受委托为本小区提供物业服务。"
         "为使您尽快熟悉小区的服务与管理规定，我们编写了这本《住户手册》，内容包括服务指南、"
         "入住手续、收费标准、装修管理、房屋托管、安全须知和小区管理规定。请您仔细阅读并妥善保管，"
         "也请转告与您同住的家人和您的租户。")
    para(doc, "本手册依据《中华人民共和国民法典》《物业管理条例》、{{ company.contract }}和《临时管理规约》编写；"
         "手册与上述法律法规或合同不一致的，以法律法规和合同为准。")
    para(doc, "我们的服务宗旨是“细心细致、公平公正、实事求是、依法合理”。您对我们的服务有任何意见或建议，"
         "欢迎随时到客户服务中心或致电{{ data.service_phone }}告诉我们。")
    para(doc, "{{ company.name }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(doc, "{{ data.edition_date | cn_date }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)

    # ---- 2 service guide
    doc.add_heading("二、服务指南", 1)
    doc.add_heading("（一）客户服务中心", 2)
    table(doc, ["项目", "内容"], [
        ["地址", "{{ data.centre_address }}"],
        ["客服电话", "{{ data.service_phone }}"],
        ["办公时间", "{{ data.service_hours }}"],
        ["报修电话", "{{ data.repair_phone }}（24小时）"],
    ], [35, 121])
    para(doc, "客户服务中心为您办理入住、装修、报修、投诉、缴费、物品放行、便民服务等事务。"
         "对专业性较强的问题，我们先详细记录，征询专业人员后在约定时间内答复您。")
    doc.add_heading("（二）报修与回访", 2)
    para(doc, "房屋及其附属设施出现故障，请拨打报修电话或到客户服务中心登记，告知姓名、住址、联系电话、"
         "报修内容和方便维修的时间。我们填写《维修工作单》，维修人员在约定时间携单上门；"
         "保修期外或属于住户自用部位的维修，按公示的有偿服务标准收费，并事先告知您。")
    para(doc, "维修完成后，我们对每一项维修进行回访（回访率100%），回访时限如下：")
    table(doc, ["维修类别", "回访时限"], [
        ["安全设施维修", "维修完成后2天内"],
        ["房屋渗漏水维修", "试漏后3天内"],
        ["其他维修", "维修完成后2天内"],
    ], [70, 86])
    doc.add_heading("（三）投诉处理", 2)
    para(doc, "您可以来电、来访或来函投诉。我们记录投诉的时间、地点、被投诉人或部门、事情经过和您的要求，"
         "并按以下时限处理：")
    table(doc, ["投诉类别", "处理时限"], [
        ["重大投诉（严重影响生活、安全或造成恶劣影响）", "当日呈送管理处主任，2天内给您明确答复，10天内处理完毕"],
        ["重要投诉（管理、服务工作失误）", "接待后1小时内转部门主管，3天内处理完毕"],
        ["轻微投诉", "2天内或在您要求的期限内处理完毕"],
    ], [70, 86])
    doc.add_heading("（四）物品放行", 2)
    para(doc, "搬家或将大件物品搬出小区，请业主本人（或持业主委托书）到客户服务中心办理《物品放行条》，"
         "出门时交门岗安护员核对无误后放行。")
    doc.add_heading("（五）便民服务与委托服务", 2)
    para(doc, "客户服务中心公告便民服务项目。您提出便民服务或委托服务时，我们与您约定服务内容、面积、时间、"
         "费用和效果；服务完成后由您验收，验收合格后收取约定费用并开具票据。")

    # ---- 3 move-in
    doc.add_heading("三、入住须知", 1)
    doc.add_heading("（一）办理入住需提供的资料", 2)
    table(doc, ["办理人", "需提供的资料"], [
        ["业主本人", "身份证、入住通知单、房屋买卖合同"],
        ["委托他人代办", "以上资料，另加受托人身份证和业主签署的委托书"],
        ["单位购置", "以上资料，另加单位证明（载明统一社会信用代码）和经办人身份证"],
    ], [40, 116])
    doc.add_heading("（二）入住流程", 2)
    items(doc, [
        "验明资料，填写《住户登记表》（同住人员、联系电话、车辆、紧急联系人），签订《前期物业服务合同》和《临时管理规约》。",
        "领取房屋钥匙、《住户手册》和房屋水电图，并在交接单上签收。",
        "缴纳物业服务费。",
        "由维修部人员陪同，按《房屋质量验收登记表》逐项验收房屋；共同抄录水表、电表、燃气表底数并签字确认。",
        "验收发现的问题由客户服务中心填写《维修工作单》安排整改；复检合格后约您再次验收，验收合格请在《维修工作单》上签字。",
    ])

    # ---- 4 fees
    doc.add_heading("四、收费标准", 1)
    para(doc, "本小区各项费用按物价主管部门的规定和{{ company.contract }}的约定收取，标准如下：")
    t = doc.add_table(rows=4, cols=4)
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    header_row(t, ["收费项目", "标准（元）", "计费单位", "说明"])
    t.rows[1].cells[0].text = "{%tr for f in data.fees %}"
    for i, text in enumerate(["{{ f.item }}", "{{ f.price | money }}", "{{ f.unit }}", "{{ f.note or '' }}"]):
        t.rows[2].cells[i].text = text
    t.rows[2].cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    t.rows[3].cells[0].text = "{%tr endfor %}"
    set_widths(t, [48, 26, 32, 50])
    for cell in t.rows[2].cells:
        cell.paragraphs[0].paragraph_format.line_spacing = 1.2
    gap(doc)
    doc.add_heading("（一）缴费方式", 2)
    para(doc, "{%p for line in data.payment_ways.splitlines() %}", indent=False)
    para(doc, "{{ line }}", indent=False)
    para(doc, "{%p endfor %}", indent=False)
    doc.add_heading("（二）逾期缴费", 2)
    para(doc, "物业服务费按月缴纳。逾期未缴的，我们先以电话或短信提醒；提醒后三个月内仍未缴纳的，"
         "以特快专递寄送书面《催缴函》；长期无正当理由拒缴的，将依法通过诉讼或仲裁途径追缴。"
         "根据《中华人民共和国民法典》第九百四十四条，业主不得以未接受或者无需接受相关物业服务为由拒绝支付物业费。")
    para(doc, "缴费后请索取并妥善保管收费票据；对金额有异议的，请携带票据到客户服务中心核对。")

    # ---- 5 renovation
    doc.add_heading("五、装修管理", 1)
    doc.add_heading("（一）办理装修手续", 2)
    items(doc, [
        "业主持身份证到客户服务中心申请；委托他人办理的，另需提供委托书和受托人身份证（复印件存入房屋档案）。",
        "提交装修方案，与客户服务中心签订《装修管理协议》，缴纳装修垃圾清运费。",
        "涉及拆改主体结构或明显增加荷载的，须先向房屋所在地房地产行政主管部门申请并取得批准；批准文件未备案前，不予发放施工许可证。",
        "手续齐全后领取《装修施工许可证》，张贴在户门外；每位施工人员办理《施工人员临时出入证》，进出小区须佩戴。",
    ])
    doc.add_heading("（二）施工时间", 2)
    # the same words as the 装修管理协议 and the permit: the rules fill them in (renovation/rules.py)
    para(doc, "{{ data.renovation_hours }}。因特殊情况需延长施工时间的，须事先征得客户服务中心同意，并告知相邻业主。")
    doc.add_heading("（三）装修禁止事项", 2)
    para(doc, "装修期间，装修人和装饰装修企业不得有下列行为（括号内注明出处，条款均为《住宅室内装饰装修管理办法》的条款）：")
    para(doc, "{%p for pr in data.renovation_prohibitions %}", indent=False)
    p = para(doc, "{{ loop.index }}. {{ pr.text }}（{{ pr.article or '本小区装修管理规定' }}）{{ '。' if loop.last else '；' }}",
             indent=False)
    p.paragraph_format.left_indent = Pt(22)
    p.paragraph_format.first_line_indent = Pt(-11)
    para(doc, "{%p endfor %}", indent=False)
    para(doc, "{{ data.renovation_breach }}")
    para(doc, "装修完工后，请通知客户服务中心会同维修部进行验收。")

    # ---- 6 custody
    doc.add_heading("六、房屋托管", 1)
    para(doc, "您暂不入住的，可与客户服务中心签订《托管协议》，将房屋交由我们代为看管：")
    items(doc, [
        "交接时共同抄录水表、电表读数；托管期间用水不超过5立方米、用电不超过20千瓦时，超出的我们将查明原因、"
        "采取必要措施并告知您。托管期间的水费、电费由业主按表具读数承担；超出部分系我们的人员入户使用或者"
        "未尽巡查、处置义务所致的，由我们承担。",
        "托管期间物业服务费按全额的70%收取（自托管开始的当月起，托管开始日不是当月1日的自次月起）。",
        "每周安排人员对托管房屋进行户外巡查，大雨前后加巡；发现问题及时处理并通知您。",
    ])

    # ---- 7 safety
    doc.add_heading("七、安全须知", 1)
    doc.add_heading("（一）消防安全", 2)
    items(doc, [
        "家中常备灭火器，了解所在楼栋的疏散通道和安全出口，保持楼道畅通。",
        "电动自行车和电池不得进楼入户充电，请到小区集中充电点充电。",
        "不要私拉电线；离家前关闭燃气阀门和不用的电器电源。",
        "发现火情立即拨打119，并通知小区安防监控中心。",
    ])
    doc.add_heading("（二）燃气与用电安全", 2)
    para(doc, "闻到燃气异味时，不要开关电器、不要使用明火或手机，立即打开门窗通风，关闭燃气总阀，"
         "到室外安全处拨打燃气抢修电话。家中电路跳闸频繁的，请报修检查，勿擅自更换大容量保险。")
    doc.add_heading("（三）防汛与高空安全", 2)
    para(doc, "大风、暴雨来临前，请关好门窗，收起阳台和窗台上的花盆、杂物；发现房屋渗漏请及时报修。"
         "严禁高空抛物，家有儿童的请安装窗户防护设施。")
    doc.add_heading("（四）紧急联系电话", 2)
    t = doc.add_table(rows=4, cols=2)
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    header_row(t, ["单位", "电话"])
    t.rows[1].cells[0].text = "{%tr for e in data.emergency %}"
    t.rows[2].cells[0].text = "{{ e.name }}"
    t.rows[2].cells[1].text = "{{ e.phone }}"
    t.rows[3].cells[0].text = "{%tr endfor %}"
    set_widths(t, [90, 66])
    for cell in t.rows[2].cells:
        cell.paragraphs[0].paragraph_format.line_spacing = 1.2

    # ---- 8 rules
    doc.add_heading("八、小区管理规定", 1)
    para(doc, "为维护全体住户的共同利益，请遵守以下规定（详见《临时管理规约》）：")
    para(doc, "{%p for r in data.house_rules %}", indent=False)
    p = para(doc, "{{ loop.index }}. {{ r.text }}", indent=False)
    p.paragraph_format.left_indent = Pt(22)
    p.paragraph_format.first_line_indent = Pt(-11)
    para(doc, "{%p endfor %}", indent=False)
    para(doc, "违反上述规定的，客户服务中心将予以劝阻、督促改正；造成他人损失的，由行为人依法承担责任。")
    para(doc, "本手册自{{ data.edition_date | cn_date }}起施行；与法律法规、{{ company.contract }}或《临时管理规约》"
         "不一致的，以法律法规和合同、规约为准。", space_after=0)

    doc.core_properties.title = "住户手册"
    doc.core_properties.author = "formsmith"
    doc.core_properties.language = "zh-CN"
    doc.save(str(path))


if __name__ == "__main__":
    build(HERE / "template.docx")
    print(HERE / "template.docx")
