"""The kind of value each GA4 metric is, from its type in the Data API schema.

``traits`` is declared without a call, so the types of the API schema's metrics are listed here
(https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema): integer
counts are counts, rates GA4 returns as a fraction (0.27, not 27 %) are shares, currency
amounts are sums (refunds make them negative), seconds are durations; averages, per-user
figures and custom metrics are free numbers.
"""

from __future__ import annotations

from syncd.abc import ValueKind

_COUNTS = frozenset(
    [
        "active1DayUsers",
        "active28DayUsers",
        "active7DayUsers",
        "activeUsers",
        "addToCarts",
        "advertiserAdClicks",
        "advertiserAdImpressions",
        "checkouts",
        "cohortActiveUsers",
        "cohortTotalUsers",
        "conversions",
        "crashAffectedUsers",
        "ecommercePurchases",
        "engagedSessions",
        "eventCount",
        "firstTimePurchasers",
        "itemListClickEvents",
        "itemListViewEvents",
        "itemViewEvents",
        "itemsAddedToCart",
        "itemsCheckedOut",
        "itemsClickedInList",
        "itemsClickedInPromotion",
        "itemsPurchased",
        "itemsViewed",
        "itemsViewedInList",
        "itemsViewedInPromotion",
        "keyEvents",
        "newUsers",
        "organicGoogleSearchClicks",
        "organicGoogleSearchImpressions",
        "promotionClicks",
        "promotionViews",
        "publisherAdClicks",
        "publisherAdImpressions",
        "screenPageViews",
        "scrolledUsers",
        "sessions",
        "totalPurchasers",
        "totalUsers",
        "transactions",
        "countCustomEvent",
    ]
)
_SHARES = frozenset(
    [
        "bounceRate",
        "cartToViewRate",
        "crashFreeUsersRate",
        "dauPerMau",
        "dauPerWau",
        "engagementRate",
        "firstTimePurchaserRate",
        "itemListClickThroughRate",
        "itemPromotionClickThroughRate",
        "organicGoogleSearchClickThroughRate",
        "purchaseToViewRate",
        "purchaserRate",
        "sessionConversionRate",
        "sessionKeyEventRate",
        "userConversionRate",
        "userKeyEventRate",
        "wauPerMau",
    ]
)
_CURRENCY = frozenset(
    [
        "advertiserAdCost",
        "advertiserAdCostPerClick",
        "advertiserAdCostPerKeyEvent",
        "averagePurchaseRevenue",
        "averagePurchaseRevenuePerPayingUser",
        "averagePurchaseRevenuePerUser",
        "averageRevenuePerUser",
        "grossItemRevenue",
        "grossPurchaseRevenue",
        "itemDiscountAmount",
        "itemRefundAmount",
        "itemRevenue",
        "purchaseRevenue",
        "refundAmount",
        "shippingAmount",
        "taxAmount",
        "totalAdRevenue",
        "totalRevenue",
    ]
)
_SECONDS = frozenset({"averageSessionDuration", "userEngagementDuration", "adUnitExposure"})


def metric_kind(metric: str) -> ValueKind:
    """The kind of ``metric``'s values; ``keyEvents:x`` and ``sessionKeyEventRate:x`` are
    their base metric's kind, unknown and custom metrics free numbers."""
    base = metric.split(":", 1)[0]
    if base in _COUNTS:
        return ValueKind.COUNT
    if base in _SHARES:
        return ValueKind.SHARE
    if base in _CURRENCY:
        return ValueKind.SUM
    if base in _SECONDS:
        return ValueKind.DURATION
    return ValueKind.NUMBER
