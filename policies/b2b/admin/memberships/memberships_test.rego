package b2b.admin.memberships_test

import data.b2b.admin.memberships

# The actor's highest maxOrderTotal names what it holds in an escalation reason (null without a grant).
test_success_actor_highest_max_order_total if {
	memberships._highest_max([{"maxOrderTotal": 5}, {"maxOrderTotal": 9}]) == 9
	memberships._highest_max([]) == null
}
