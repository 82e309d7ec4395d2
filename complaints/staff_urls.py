"""Staff pages of the workflow: queues under /cases/staff/ and one POST URL per action."""

from django.urls import path

from . import staff_views as views

app_name = "casestaff"

urlpatterns = [
    path("", views.workbench, name="home"),
    path("triage/", views.triage_queue, name="triage"),
    path("work/", views.work_queue, name="work"),
    path("inbox/", views.department_inbox, name="inbox"),
    path("supervision/", views.supervision_queue, name="supervision"),
    path("<int:pk>/accept/", views.case_accept, name="accept"),
    path("<int:pk>/reject/", views.case_reject, name="reject"),
    path("<int:pk>/request-info/", views.case_request_info, name="request-info"),
    path("<int:pk>/merge/", views.case_merge, name="merge"),
    path("<int:pk>/recategorize/", views.case_recategorize, name="recategorize"),
    path("<int:pk>/dispatch/", views.case_dispatch, name="dispatch"),
    path("<int:pk>/verify/", views.case_verify, name="verify"),
    path("dispatches/<int:pk>/acknowledge/", views.dispatch_acknowledge, name="acknowledge"),
    path("dispatches/<int:pk>/contact/", views.dispatch_contact, name="contact"),
    path("dispatches/<int:pk>/arrival/", views.dispatch_arrival, name="arrival"),
    path("dispatches/<int:pk>/resolve/", views.dispatch_resolve, name="resolve"),
    path("dispatches/<int:pk>/return/", views.dispatch_return, name="return"),
    path("dispatches/<int:pk>/extension/", views.dispatch_request_extension, name="extension"),
    path("dispatches/<int:pk>/park/", views.dispatch_park, name="park"),
    path("dispatches/<int:pk>/rate/", views.dispatch_rate, name="rate"),
    path("dispatches/<int:pk>/decide-extension/", views.dispatch_decide_extension, name="decide-extension"),
]
