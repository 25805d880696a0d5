from django.urls import path

from . import api

urlpatterns = [
    path("groups", api.GroupListView.as_view(), name="groups"),
    path("groups/join", api.GroupJoinView.as_view(), name="group-join"),
    path("groups/<int:group_id>", api.GroupDetailView.as_view(), name="group"),
    path("groups/<int:group_id>/code", api.GroupCodeView.as_view(), name="group-code"),
    path("groups/<int:group_id>/members/<uuid:user_id>", api.GroupMemberView.as_view(), name="group-member"),
    path("challenges", api.ChallengeListView.as_view(), name="challenges"),
    path("challenges/<int:challenge_id>", api.ChallengeDetailView.as_view(), name="challenge"),
    path("challenges/<int:challenge_id>/join", api.ChallengeJoinView.as_view(), name="challenge-join"),
    path("challenges/<int:challenge_id>/leave", api.ChallengeLeaveView.as_view(), name="challenge-leave"),
    path("challenges/<int:challenge_id>/teams", api.TeamListView.as_view(), name="challenge-teams"),
    path("challenges/<int:challenge_id>/leaderboard", api.ChallengeBoardView.as_view(), name="challenge-board"),
    path("challenges/<int:challenge_id>/results", api.ChallengeResultsView.as_view(), name="challenge-results"),
]
