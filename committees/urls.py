from django.urls import path

from .views import ballots, electorate, followup, items, meetings, petitions, results

app_name = "committees"

urlpatterns = [
    path("", meetings.meeting_list, name="meetings"),
    path("new/", meetings.meeting_new, name="meeting_new"),
    path("<int:pk>/", meetings.meeting_detail, name="meeting"),
    path("<int:pk>/edit/", meetings.meeting_edit, name="meeting_edit"),
    path("<int:pk>/items/new/", items.item_new, name="item_new"),
    path("<int:pk>/items/<int:item_pk>/", items.item_detail, name="item"),
    path("<int:pk>/items/<int:item_pk>/candidates/", items.candidate_new, name="candidate_new"),
    path("<int:pk>/items/<int:item_pk>/documents/", items.document_new, name="document_new"),
    path("<int:pk>/items/<int:item_pk>/documents/<int:doc_pk>/", items.document_download, name="document"),
    path("<int:pk>/items/<int:item_pk>/comments/", items.comment_new, name="comment_new"),
    path("<int:pk>/items/<int:item_pk>/opinion/", items.party_opinion, name="party_opinion"),
    path("<int:pk>/items/<int:item_pk>/vote/", results.vote, name="vote"),
    path("<int:pk>/tellers/", meetings.tellers, name="tellers"),
    path("<int:pk>/publish/", meetings.publish, name="publish"),
    path("<int:pk>/cancel/", meetings.cancel, name="cancel"),
    path("<int:pk>/close/", meetings.close, name="close"),
    path("<int:pk>/participation/", meetings.participation, name="participation"),
    path("<int:pk>/electorate/", electorate.electorate, name="electorate"),
    path("<int:pk>/electorate/objections/", electorate.objection_new, name="objection_new"),
    path("<int:pk>/electorate/objections/<int:objection_pk>/", electorate.objection_answer, name="objection_answer"),
    path("<int:pk>/electorate/correct/", electorate.electorate_correct, name="electorate_correct"),
    path("<int:pk>/paper/", ballots.paper_entry, name="paper"),
    path("<int:pk>/proxy/", ballots.proxy, name="proxy"),
    path("<int:pk>/receipt/", results.receipt, name="receipt"),
    path("<int:pk>/result/", results.result, name="result"),
    path("<int:pk>/result/print/", results.result_print, name="result_print"),
    path("<int:pk>/minutes/", followup.minutes, name="minutes"),
    path("<int:pk>/actions/new/", followup.action_new, name="action_new"),
    path("<int:pk>/actions/<int:action_pk>/", followup.action_detail, name="action"),
    path("<int:pk>/actions/<int:action_pk>/done/", followup.action_done, name="action_done"),
    path("<int:pk>/actions/<int:action_pk>/case/", followup.action_case, name="action_case"),
    path("<int:pk>/actions/<int:action_pk>/contributions/", followup.contribution_new, name="contribution_new"),
    path("petitions/", petitions.petition_list, name="petitions"),
    path("petitions/new/", petitions.petition_new, name="petition_new"),
    path("petitions/<int:pk>/", petitions.petition_detail, name="petition"),
    path("petitions/<int:pk>/sign/", petitions.petition_sign, name="petition_sign"),
]
