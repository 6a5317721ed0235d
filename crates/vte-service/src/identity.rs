//! `vte.identity.v1.IdentityService`, mounted on every service: tells a caller what its token
//! grants (role, tenant, expiry), so the website's and schools' developers can check a token
//! against the service they talk to.

use tonic::{Request, Response, Status};
use vte_proto::vte::common::v1::Role as WireRole;
use vte_proto::vte::identity::v1::identity_service_server::IdentityService;
use vte_proto::vte::identity::v1::who_am_i_response::Tenant;
use vte_proto::vte::identity::v1::{WhoAmIRequest, WhoAmIResponse};

use crate::auth::{Caller, Role, identity};

/// The identity API; calls reach it through the auth interceptor.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdentityApi;

fn wire_role(role: Role) -> WireRole {
    match role {
        Role::Site => WireRole::Site,
        Role::School => WireRole::School,
        Role::Company => WireRole::Company,
        Role::Candidate => WireRole::Candidate,
        Role::Bpifrance => WireRole::Bpifrance,
        Role::Admin => WireRole::Admin,
        Role::Service => WireRole::Service,
    }
}

#[tonic::async_trait]
impl IdentityService for IdentityApi {
    async fn who_am_i(
        &self,
        request: Request<WhoAmIRequest>,
    ) -> Result<Response<WhoAmIResponse>, Status> {
        let identity = identity(&request)?;
        let tenant = match &identity.caller {
            Caller::School { school_id } => Some(Tenant::SchoolId(school_id.to_string())),
            Caller::Company { siren } => Some(Tenant::Siren(siren.to_string())),
            Caller::Candidate { candidate_id } => {
                Some(Tenant::CandidateId(candidate_id.to_string()))
            }
            _ => None,
        };
        Ok(Response::new(WhoAmIResponse {
            role: wire_role(identity.caller.role()) as i32,
            subject: identity.subject.clone(),
            tenant,
            expires_at: Some(prost_types::Timestamp {
                seconds: identity.expires_at.timestamp(),
                nanos: 0,
            }),
        }))
    }
}
