//! 账号角色与权限 (roles and what each may do, docs/domain.md §6.1a, §11): pure rules that the
//! service layer enforces for every caller. A user is bound to one region and sees and acts
//! only inside its subtree; the role decides what it may do there.

use crate::FieldError;
use crate::case::{ActionKind, CaseState, Level, who_may};
use crate::feed::Feed;
use crate::region::{RegionCode, RegionLevel};
use crate::text::fold_width;

labelled_enum! {
    /// 角色 (role of an account). Codes are storage codes: append only.
    Role, "角色" {
        /// 村级: 村两委, 驻村工作队, 帮扶责任人, 村级监测员 — one village.
        Village = 1: "村级",
        /// 乡镇: 乡村振兴办/农业农村办 — one township.
        Township = 2: "乡镇",
        /// 县级经办: county clerks (信息比对, data, measures) — one county.
        CountyOperator = 3: "县级经办",
        /// 县级审定: the county officers who decide (审定纳入, 审定消除, 回退).
        CountyApprover = 4: "县级审定",
        /// 县级管理员: accounts of the county, the audit log, the policy.
        CountyAdmin = 5: "县级管理员",
        /// 部门联络员: one department's liaison (医保, 民政 …) — uploads its feeds and
        /// sees what became of its own warnings, nothing else.
        Department = 6: "部门联络员",
        /// 市级查看: city supervisors (read only).
        CityViewer = 7: "市级查看",
        /// 省级查看: province supervisors (read only).
        ProvinceViewer = 8: "省级查看",
        /// 系统管理员: operates the installation (accounts anywhere, health, audit).
        SystemAdmin = 9: "系统管理员",
    }
}

/// 权限 (what a request needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read households, members (masked), cases, leads, measures, reports.
    ReadRegistry,
    /// 查看完整证件号码/电话: an audited request for one person's full number.
    RevealPersonal,
    /// 健康信息: members' health and disability, and the texts clerks write about a
    /// household (核实情况, 走访情况, 理由 …), which often name an illness.
    ReadHealth,
    /// Import and edit the registry (households, members, incomes).
    WriteRegistry,
    /// Upload a department feed (a liaison only its own department's).
    ImportFeed(Feed),
    /// Run screening and data-quality checks.
    RunScreening,
    /// Triage leads, record visits, measures, helpers, notices: the village's and
    /// township's daily work (case steps are checked step by step, see [`Role::may_act`]).
    WorkCases,
    /// Load a policy version.
    ManagePolicy,
    /// Create and disable accounts and tokens inside the region.
    ManageUsers,
    /// Query the audit log.
    ReadAudit,
}

impl Role {
    /// The level of region an account of this role is bound to. A system administrator
    /// may be bound to any region (usually the province).
    pub fn region_level(self) -> Option<RegionLevel> {
        Some(match self {
            Role::Village => RegionLevel::Village,
            Role::Township => RegionLevel::Township,
            Role::CountyOperator | Role::CountyApprover | Role::CountyAdmin | Role::Department => {
                RegionLevel::County
            }
            Role::CityViewer => RegionLevel::City,
            Role::ProvinceViewer => RegionLevel::Province,
            Role::SystemAdmin => return None,
        })
    }

    /// The procedure level (docs/domain.md §6.1a) at which this role acts on cases.
    pub fn case_level(self) -> Option<Level> {
        match self {
            Role::Village => Some(Level::Village),
            Role::Township => Some(Level::Township),
            Role::CountyOperator | Role::CountyApprover => Some(Level::County),
            _ => None,
        }
    }

    /// Whether the role may do `p` (inside its region; the region is checked apart).
    pub fn may(self, p: Permission) -> bool {
        use Permission as P;
        use Role as R;
        match p {
            P::ReadRegistry => !matches!(self, R::Department),
            // [I] Full numbers are for those who serve the household (village, township,
            // county clerks) — not for supervisors reading statistics.
            P::RevealPersonal => matches!(
                self,
                R::Village | R::Township | R::CountyOperator | R::CountyApprover
            ),
            // [I] Health is sensitive personal information (PIPL art. 28): for those who
            // serve and decide on the household and administer its county, not for the
            // city and province supervisors, who read procedure and figures.
            P::ReadHealth => matches!(
                self,
                R::Village | R::Township | R::CountyOperator | R::CountyApprover | R::CountyAdmin
            ),
            P::WriteRegistry => matches!(self, R::Village | R::Township | R::CountyOperator),
            P::ImportFeed(_) if matches!(self, R::Department) => true,
            P::ImportFeed(_) => matches!(self, R::CountyOperator | R::CountyAdmin),
            P::RunScreening => matches!(self, R::CountyOperator | R::CountyAdmin),
            P::WorkCases => matches!(
                self,
                R::Village | R::Township | R::CountyOperator | R::CountyApprover
            ),
            P::ManagePolicy | P::ReadAudit => matches!(self, R::CountyAdmin | R::SystemAdmin),
            P::ManageUsers => matches!(self, R::CountyAdmin | R::SystemAdmin),
        }
    }

    /// Whether the role may take a step of the procedure at this stage: its level must be
    /// one [`who_may`] names, and the county decisions (审定纳入, 审定消除, 回退) belong
    /// to the county's deciding officers, not its clerks [I].
    pub fn may_act(self, kind: ActionKind, state: CaseState) -> bool {
        let Some(level) = self.case_level() else {
            return false;
        };
        let decision = matches!(
            kind,
            ActionKind::ApproveIdentification
                | ActionKind::ApproveElimination
                | ActionKind::Rollback
        );
        who_may(kind, state).contains(&level) && (!decision || self == Role::CountyApprover)
    }

    /// Whether an account of this role may be bound to `region`.
    pub fn fits(self, region: RegionCode) -> bool {
        self.region_level().is_none_or(|l| region.level() == l)
    }
}

/// Whether a role may create an account of role `other` bound to `region`, as an
/// administrator bound to `own`: a county administrator creates the accounts of its county
/// (village, township, county and department roles); a system administrator any account
/// inside its region.
pub fn may_create(admin: Role, own: RegionCode, other: Role, region: RegionCode) -> bool {
    if !own.contains(region) || !other.fits(region) {
        return false;
    }
    match admin {
        Role::SystemAdmin => true,
        Role::CountyAdmin => matches!(
            other,
            Role::Village
                | Role::Township
                | Role::CountyOperator
                | Role::CountyApprover
                | Role::Department
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn roles_bind_to_their_level_of_region() {
        assert!(Role::Village.fits(code("520322101001")));
        assert!(!Role::Village.fits(code("520322101")));
        assert!(Role::CountyAdmin.fits(code("520322")));
        assert!(Role::Department.fits(code("520322")));
        assert!(Role::SystemAdmin.fits(code("52")));
        assert!(!Role::ProvinceViewer.fits(code("5203")));
    }

    #[test]
    fn case_steps_follow_the_procedure_and_decisions_the_approver() {
        use ActionKind as K;
        use CaseState as S;
        assert!(Role::Village.may_act(K::Verify, S::Verifying));
        assert!(!Role::Township.may_act(K::Verify, S::Verifying));
        assert!(Role::CountyOperator.may_act(K::Compare, S::Verifying));
        assert!(!Role::CountyOperator.may_act(K::ApproveIdentification, S::CountyApproval));
        assert!(Role::CountyApprover.may_act(K::ApproveIdentification, S::CountyApproval));
        assert!(!Role::CountyAdmin.may_act(K::Compare, S::Verifying));
        for role in [Role::CityViewer, Role::ProvinceViewer, Role::Department] {
            assert!(
                !ActionKind::ALL
                    .iter()
                    .any(|k| role.may_act(*k, S::Verifying))
            );
        }
    }

    #[test]
    fn supervisors_read_but_never_reveal_or_write() {
        for r in [Role::CityViewer, Role::ProvinceViewer] {
            assert!(r.may(Permission::ReadRegistry));
            assert!(!r.may(Permission::RevealPersonal));
            assert!(!r.may(Permission::ReadHealth));
            assert!(!r.may(Permission::WriteRegistry));
            assert!(!r.may(Permission::WorkCases));
        }
        assert!(!Role::Department.may(Permission::ReadRegistry));
        assert!(Role::Department.may(Permission::ImportFeed(Feed::Medical)));
    }

    #[test]
    fn administrators_create_accounts_inside_their_region_only() {
        let county = code("520322");
        assert!(may_create(
            Role::CountyAdmin,
            county,
            Role::Village,
            code("520322101001")
        ));
        assert!(!may_create(
            Role::CountyAdmin,
            county,
            Role::Village,
            code("520323101001")
        ));
        assert!(!may_create(
            Role::CountyAdmin,
            county,
            Role::CountyAdmin,
            county
        ));
        assert!(!may_create(
            Role::Village,
            code("520322101001"),
            Role::Village,
            code("520322101001")
        ));
        assert!(may_create(
            Role::SystemAdmin,
            code("52"),
            Role::CityViewer,
            code("5203")
        ));
    }
}
