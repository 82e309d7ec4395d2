from django.urls import path

from . import followup_views, views

app_name = "committees"

urlpatterns = [
    path("", views.meeting_list, name="meetings"),
    path("new/", views.meeting_new, name="meeting_new"),
    path("<int:pk>/", views.meeting_detail, name="meeting"),
    path("<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("<int:pk>/items/new/", views.item_new, name="item_new"),
    path("<int:pk>/items/<int:item_pk>/", views.item_detail, name="item"),
    path("<int:pk>/items/<int:item_pk>/candidates/", views.candidate_new, name="candidate_new"),
    path("<int:pk>/items/<int:item_pk>/documents/", views.document_new, name="document_new"),
    path("<int:pk>/items/<int:item_pk>/documents/<int:doc_pk>/", views.document_download, name="document"),
    path("<int:pk>/items/<int:item_pk>/comments/", views.comment_new, name="comment_new"),
    path("<int:pk>/items/<int:item_pk>/opinion/", views.party_opinion, name="party_opinion"),
    path("<int:pk>/items/<int:item_pk>/vote/", views.vote, name="vote"),
    path("<int:pk>/tellers/", views.tellers, name="tellers"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/participation/", views.participation, name="participation"),
    path("<int:pk>/electorate/", followup_views.electorate, name="electorate"),
    path("<int:pk>/electorate/objections/", followup_views.objection_new, name="objection_new"),
    path("<int:pk>/electorate/objections/<int:objection_pk>/", followup_views.objection_answer, name="objection_answer"),
    path("<int:pk>/electorate/correct/", followup_views.electorate_correct, name="electorate_correct"),
    path("<int:pk>/paper/", followup_views.paper_entry, name="paper"),
    path("<int:pk>/proxy/", followup_views.proxy, name="proxy"),
    path("<int:pk>/receipt/", views.receipt, name="receipt"),
    path("<int:pk>/result/", views.result, name="result"),
    path("<int:pk>/result/print/", views.result_print, name="result_print"),
    path("<int:pk>/minutes/", followup_views.minutes, name="minutes"),
    path("<int:pk>/actions/new/", followup_views.action_new, name="action_new"),
    path("<int:pk>/actions/<int:action_pk>/", followup_views.action_detail, name="action"),
    path("<int:pk>/actions/<int:action_pk>/done/", followup_views.action_done, name="action_done"),
    path("<int:pk>/actions/<int:action_pk>/case/", followup_views.action_case, name="action_case"),
    path("<int:pk>/actions/<int:action_pk>/contributions/", followup_views.contribution_new, name="contribution_new"),
    path("petitions/", followup_views.petition_list, name="petitions"),
    path("petitions/new/", followup_views.petition_new, name="petition_new"),
    path("petitions/<int:pk>/", followup_views.petition_detail, name="petition"),
    path("petitions/<int:pk>/sign/", followup_views.petition_sign, name="petition_sign"),
]
