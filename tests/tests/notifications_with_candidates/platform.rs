//! The notifications service beside the REAL candidates service, on the same PostgreSQL
//! cluster (another database) and the same broker: schools push profiles with contact data to
//! the candidates service, which the notifications service asks for addresses at delivery
//! time, and erasures travel as they do in production.

use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vte_domain::{CandidateId, SchoolId};
use vte_proto::vte::candidates::v1::candidates_service_client::CandidatesServiceClient;
use vte_proto::vte::candidates::v1::{
    AcademicStatus, Contact, ErasureStatus, GetErasureStatusRequest, GetProfileRequest, ProfileRow,
    PushProfilesBatchRequest, RequestErasureRequest, SchoolStudentRef, get_profile_request,
};
use vte_proto::vte::common::v1::{Date, EducationLevel, PlatformService};
use vte_service::auth::{BearerToken, Caller};
use vte_testbed::TestService;

use crate::support::harness::{Bed, Directory, Notifications, SECRET};
use crate::support::smtp::SmtpSink;

/// Both services, running for one test.
#[derive(Debug)]
pub struct Platform {
    pub notifications: Notifications,
    candidates: TestService,
}

impl Platform {
    /// Starts the candidates service, then the notifications service calling it.
    pub async fn start() -> Self {
        let smtp = SmtpSink::start().await;
        let bed = Bed::start().await;
        let candidates = TestService::builder(SECRET)
            .on(bed.clone())
            .start::<vte_candidates::Application>()
            .await;
        let url = format!("http://{}", candidates.grpc_addr());
        let directory = Directory::CandidatesService;
        let notifications = Notifications::start_on(bed, smtp, directory, |settings, _| {
            settings.peers.candidates = url;
        })
        .await;
        Self {
            notifications,
            candidates,
        }
    }

    /// A client of the candidates service as `caller`.
    pub fn candidates(
        &self,
        caller: &Caller,
    ) -> CandidatesServiceClient<InterceptedService<Channel, BearerToken>> {
        let token = self.candidates.bearer(Some(caller));
        CandidatesServiceClient::with_interceptor(self.candidates.channel(), token)
    }

    /// `school` pushes a student with this first name and address; returns the candidate id
    /// the candidates service gave them.
    pub async fn push_student(
        &self,
        school: SchoolId,
        first_name: &str,
        email: &str,
    ) -> CandidateId {
        let caller = Caller::School { school_id: school };
        let reference = format!("etu-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let row = ProfileRow {
            school_student_ref: reference.clone(),
            status: AcademicStatus::Graduate as i32,
            graduation_date: Some(Date {
                year: 2026,
                month: 6,
                day: 30,
            }),
            level: EducationLevel::Bac5 as i32,
            field_of_study: "génie mécanique".to_owned(),
            diploma: "Diplôme d'ingénieur".to_owned(),
            home_insee_code: "46102".to_owned(),
            contact: Some(Contact {
                candidate_id: String::new(),
                first_name: first_name.to_owned(),
                last_name: "Martin".to_owned(),
                email: email.to_owned(),
                phone: String::new(),
            }),
            ..ProfileRow::default()
        };
        let pushed = self
            .candidates(&caller)
            .push_profiles_batch(PushProfilesBatchRequest {
                school_id: String::new(),
                rows: vec![row],
            })
            .await
            .expect("the school's push failed")
            .into_inner();
        let summary = pushed.summary.unwrap();
        assert!(summary.rejections.is_empty(), "{:?}", summary.rejections);
        let profile = self
            .candidates(&caller)
            .get_profile(GetProfileRequest {
                key: Some(get_profile_request::Key::SchoolRef(SchoolStudentRef {
                    school_id: school.to_string(),
                    school_student_ref: reference,
                })),
            })
            .await
            .expect("the pushed profile cannot be read")
            .into_inner()
            .profile
            .unwrap();
        CandidateId::parse(&profile.id).unwrap()
    }

    /// `school` asks for its student's erasure.
    pub async fn erase(&self, school: SchoolId, candidate: CandidateId) -> ErasureStatus {
        self.candidates(&Caller::School { school_id: school })
            .request_erasure(RequestErasureRequest {
                candidate_id: candidate.to_string(),
            })
            .await
            .expect("the erasure request failed")
            .into_inner()
            .status
            .unwrap()
    }

    /// Whether the notifications service confirmed the candidate's erasure to the candidates
    /// service.
    pub async fn erasure_confirmed_by_notifications(&self, candidate: CandidateId) -> bool {
        let status = self
            .candidates(&Caller::Admin)
            .get_erasure_status(GetErasureStatusRequest {
                candidate_id: candidate.to_string(),
                erasure_id: String::new(),
            })
            .await
            .expect("cannot read the erasure status")
            .into_inner()
            .status
            .unwrap();
        status.confirmations.iter().any(|confirmation| {
            confirmation.service == PlatformService::Notifications as i32
                && confirmation.confirmed_at.is_some()
        })
    }
}
