//! The 16 leadership principles: the tags the behavioural deck uses and their names in
//! English and Korean. Vocabulary of the domain, read by errors, progress and reports.

/// A leadership principle: its tag in the decks and its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principle {
    pub tag: &'static str,
    pub en: &'static str,
    pub ko: &'static str,
}

/// The 16 leadership principles. Tags are those of assets/decks/leadership.toml; the
/// deck file carries no names, so the English ones are those of
/// /work/shared/question-bank.md and the Korean ones the usual Korean renderings.
pub const PRINCIPLES: [Principle; 16] = [
    Principle { tag: "customer-obsession", en: "Customer Obsession", ko: "고객 집착" },
    Principle { tag: "ownership", en: "Ownership", ko: "주인의식" },
    Principle { tag: "invent-and-simplify", en: "Invent and Simplify", ko: "발명하고 단순화하라" },
    Principle { tag: "are-right-a-lot", en: "Are Right, A Lot", ko: "대부분 옳은 판단을 내려라" },
    Principle { tag: "learn-and-be-curious", en: "Learn and Be Curious", ko: "배우고 호기심을 가져라" },
    Principle { tag: "hire-and-develop-the-best", en: "Hire and Develop the Best", ko: "최고의 인재를 채용하고 육성하라" },
    Principle { tag: "insist-on-the-highest-standards", en: "Insist on the Highest Standards", ko: "최고의 기준을 고집하라" },
    Principle { tag: "think-big", en: "Think Big", ko: "크게 생각하라" },
    Principle { tag: "bias-for-action", en: "Bias for Action", ko: "신속하게 행동하라" },
    Principle { tag: "frugality", en: "Frugality", ko: "절약하라" },
    Principle { tag: "earn-trust", en: "Earn Trust", ko: "신뢰를 얻어라" },
    Principle { tag: "dive-deep", en: "Dive Deep", ko: "깊이 파고들어라" },
    Principle {
        tag: "have-backbone-disagree-and-commit",
        en: "Have Backbone; Disagree and Commit",
        ko: "소신을 갖고 반대하되, 결정되면 헌신하라",
    },
    Principle { tag: "deliver-results", en: "Deliver Results", ko: "결과를 내라" },
    Principle {
        tag: "strive-to-be-earths-best-employer",
        en: "Strive to be Earth's Best Employer",
        ko: "지구 최고의 고용주가 되기 위해 노력하라",
    },
    Principle {
        tag: "success-and-scale-bring-broad-responsibility",
        en: "Success and Scale Bring Broad Responsibility",
        ko: "성공과 규모에는 폭넓은 책임이 따른다",
    },
];
