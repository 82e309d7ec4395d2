"""The default survey templates, in Chinese (the text is data, edited by staff, not translated).

`create(apps)` is used by the data migration (with its historical models) and by anything that must be sure
the defaults exist (the demo; tests after a transactional test flushed the tables).
"""

SOLVED = [{"value": "solved", "label": "已解决"}, {"value": "partly", "label": "部分解决"},
          {"value": "not_solved", "label": "未解决"}]
SATISFACTION = [{"value": "satisfied", "label": "满意"}, {"value": "basically", "label": "基本满意"},
                {"value": "dissatisfied", "label": "不满意"}]

TEMPLATES = [
    {
        "key": "case-followup", "name": "诉求办结回访", "kind": "case_followup",
        "intro": "您反映的问题已经办结。请花一分钟告诉我们办得怎么样。",
        "questions": [
            ("solved", "single", "您反映的问题解决了吗？", SOLVED, True),
            ("satisfaction", "single", "您对办理结果满意吗？", SATISFACTION, True),
            ("speed", "rating", "办理速度（1-5分）", [], True),
            ("attitude", "rating", "工作人员态度（1-5分）", [], True),
            ("comment", "text", "还有什么想说的？（问题没解决请写明情况）", [], False),
            ("photo", "photo", "可以拍张现场照片（可不拍）", [], False),
        ],
    },
    {
        "key": "case-recheck", "name": "诉求复查回访", "kind": "case_recheck",
        "intro": "您反映过的问题之前已经解决，我们想再确认一下。",
        "questions": [
            ("still_fixed", "single", "问题还解决着吗？",
             [{"value": "yes", "label": "仍然解决"}, {"value": "no", "label": "又出现了"}], True),
            ("comment", "text", "还有什么想说的？（又出现了请写明情况）", [], False),
        ],
    },
    {
        "key": "property-service", "name": "物业服务满意度调查", "kind": "property_service",
        "intro": "请为小区的物业服务打分（1分很不满意，5分很满意）。",
        "questions": [
            ("front_desk", "rating", "服务前台", [], True),
            ("security", "rating", "安保", [], True),
            ("cleaning", "rating", "保洁", [], True),
            ("greenery", "rating", "绿化", [], True),
            ("repairs", "rating", "维修", [], True),
            ("fee_transparency", "rating", "收费透明", [], True),
            ("comment", "text", "您的意见和建议", [], False),
        ],
    },
]


def create(apps, schema_editor=None) -> None:
    """Create the default templates that are missing (an existing one, perhaps edited by staff, is left alone)."""
    SurveyTemplate = apps.get_model("complaints", "SurveyTemplate")
    SurveyQuestion = apps.get_model("complaints", "SurveyQuestion")
    for spec in TEMPLATES:
        template, created = SurveyTemplate.objects.get_or_create(
            key=spec["key"], defaults={"name": spec["name"], "kind": spec["kind"], "intro": spec["intro"]}
        )
        if not created:
            continue
        SurveyQuestion.objects.bulk_create([
            SurveyQuestion(template=template, position=i, key=key, kind=kind, text=text, choices=choices, required=required)
            for i, (key, kind, text, choices, required) in enumerate(spec["questions"], start=1)
        ])
