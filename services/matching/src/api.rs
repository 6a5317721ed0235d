//! `vte.matching.v1.MatchingService`: decode and check the request (every invalid field named
//! with its rule), find the offer or candidate in the index (or, for those that may not be
//! ranked, in the read model), check who may ask, rank or explain, encode. Ranking runs on the
//! in-memory index under a read lock, on a blocking thread so a large scan never stalls the
//! server's other calls.

use std::collections::HashMap;
use std::sync::Arc;

use prost::Message as _;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use vte_domain::{CandidateId, FieldErrors, InvalidValue, OfferId, Siren};
use vte_proto::vte::matching::v1::matching_service_server::MatchingService;
use vte_proto::vte::matching::v1::*;
use vte_proto::vte::offers::v1::Offer;
use vte_reference::ReferenceData;
use vte_service::auth::Caller;

use crate::access;
use crate::config::MatchingSettings;
use crate::domain::{self, Audience, CandidateModel, OfferModel, assess};
use crate::index::{CandidateFilter, Index, OfferFilter, SharedIndex};
use crate::mapping;
use crate::store::{self, CandidateState};

/// The matching API over the index, the read model and the reference data.
#[derive(Debug, Clone)]
pub struct MatchingApi {
    pool: PgPool,
    index: SharedIndex,
    reference: Arc<ReferenceData>,
    settings: MatchingSettings,
}

type Answer<T> = Result<Response<T>, Status>;

fn internal(error: impl std::fmt::Display) -> Status {
    tracing::error!(%error, "matching service failure");
    Status::internal("internal error")
}

fn invalid(errors: FieldErrors) -> Status {
    Status::invalid_argument(format!("invalid request: {errors}"))
}

/// An offer as the API finds it.
enum FoundOffer {
    /// Open: rankable.
    Open(Arc<OfferModel>),
    /// Known but not open (a draft or an ended offer): only its owner may learn that much.
    NotOpen {
        owner: Siren,
        model: Option<Box<OfferModel>>,
    },
}

/// A candidate as the API finds it.
enum FoundCandidate {
    Matchable(Arc<CandidateModel>),
    NotMatchable(CandidateState),
}

impl MatchingApi {
    pub fn new(
        pool: PgPool,
        index: SharedIndex,
        reference: Arc<ReferenceData>,
        settings: MatchingSettings,
    ) -> Self {
        Self {
            pool,
            index,
            reference,
            settings,
        }
    }

    /// Runs `work` on the index under a read lock, on a blocking thread.
    async fn with_index<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Index) -> T + Send + 'static,
    ) -> Result<T, Status> {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || {
            let index = index
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&index)
        })
        .await
        .map_err(internal)
    }

    async fn find_offer(&self, id: OfferId) -> Result<FoundOffer, Status> {
        let open = self
            .index
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .offer(&id)
            .cloned();
        if let Some(offer) = open {
            return Ok(FoundOffer::Open(offer));
        }
        let bytes = store::load_offer(&self.pool, id)
            .await
            .map_err(internal)?
            .ok_or_else(|| Status::not_found("no offer with this id"))?;
        let offer = Offer::decode(bytes.as_slice()).map_err(internal)?;
        let owner = Siren::parse(&offer.company_siren).map_err(internal)?;
        let model = mapping::offer_model(&offer, &self.reference).ok();
        // Committed but not yet followed into the index (well under a second): as it is now.
        if let Some(model) = model.as_ref().filter(|m| m.open) {
            return Ok(FoundOffer::Open(Arc::new(model.clone())));
        }
        Ok(FoundOffer::NotOpen {
            owner,
            model: model.map(Box::new),
        })
    }

    async fn find_candidate(&self, id: CandidateId) -> Result<FoundCandidate, Status> {
        let indexed = self
            .index
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .candidate(&id)
            .cloned();
        if let Some(candidate) = indexed {
            return Ok(FoundCandidate::Matchable(candidate));
        }
        let state = store::load_candidate(&self.pool, id)
            .await
            .map_err(internal)?
            .ok_or_else(|| Status::not_found("no candidate with this id"))?;
        if state.matchable {
            // Committed but not yet followed into the index: as it is now.
            let profile = store::load_profile(&self.pool, id)
                .await
                .map_err(internal)?;
            if let Some(model) = profile.and_then(|row| row.into_model(&self.reference).ok()) {
                return Ok(FoundCandidate::Matchable(Arc::new(model)));
            }
        }
        Ok(FoundCandidate::NotMatchable(state))
    }

    async fn rank_candidates_impl(
        &self,
        request: Request<RankCandidatesRequest>,
    ) -> Answer<RankCandidatesResponse> {
        let caller = vte_service::auth::identity(&request)?.caller.clone();
        let request = request.into_inner();
        let mut errors = FieldErrors::new();
        let offer_id = mapping::id(&request.offer_id, "offer_id", OfferId::parse, &mut errors);
        let limit = mapping::limit(request.limit, &mut errors);
        let filters = request.filters.unwrap_or_default();
        if filters.levels.len() > 4 {
            errors.push(InvalidValue::new("at most 4 levels").at("filters.levels"));
        }
        let mut levels = Vec::new();
        for (i, level) in filters.levels.iter().enumerate() {
            match u8::try_from(*level).ok().filter(|l| (2..=5).contains(l)) {
                Some(level) => levels.push(level),
                None => errors.push(
                    InvalidValue::new("must be an education level, bac+2..=bac+5")
                        .at(format!("filters.levels[{i}]")),
                ),
            }
        }
        let max_distance_km = mapping::km_bound(
            filters.max_distance_km,
            "filters.max_distance_km",
            &mut errors,
        );
        let available_by = match &filters.available_by {
            None => None,
            Some(date) => {
                let day = mapping::date(Some(date));
                if day.is_none() {
                    errors.push(
                        InvalidValue::new("must be a valid calendar date")
                            .at("filters.available_by"),
                    );
                }
                day
            }
        };
        let (Some(offer_id), true) = (offer_id, errors.is_empty()) else {
            return Err(invalid(errors));
        };
        let offer = match self.find_offer(offer_id).await? {
            FoundOffer::Open(offer) => offer,
            FoundOffer::NotOpen { owner, .. } => {
                access::rank_candidates(&caller, &owner)?;
                return Err(Status::failed_precondition(
                    "the offer is not published, or has no position left: it has no candidates to rank",
                ));
            }
        };
        access::rank_candidates(&caller, &offer.siren)?;
        let exclude = if filters.exclude_applicants {
            store::applicants(&self.pool, offer_id)
                .await
                .map_err(internal)?
        } else {
            Default::default()
        };
        let filter = CandidateFilter {
            levels: (!levels.is_empty()).then_some(levels),
            max_distance_km,
            available_by,
            exclude,
        };
        let rules = self.settings.rules;
        let ranked_offer = offer.clone();
        let ranking = self
            .with_index(move |index| index.rank_candidates(&ranked_offer, &rules, &filter, limit))
            .await?;
        let candidates = ranking
            .hits
            .iter()
            .map(|(candidate, score)| {
                let assessment = assess(&offer, candidate, &rules);
                let explanation = domain::explain(
                    &offer,
                    candidate,
                    &assessment,
                    rules.availability_tolerance_days,
                    Audience::Company,
                );
                RankedCandidate {
                    candidate_id: candidate.id.to_string(),
                    summary: Some(mapping::candidate_summary(candidate, &assessment)),
                    score: mapping::score(*score),
                    explanation: Some(mapping::explanation_to_proto(&explanation)),
                }
            })
            .collect();
        Ok(Response::new(RankCandidatesResponse {
            candidates,
            eligible_count: ranking.eligible,
        }))
    }

    async fn rank_offers_impl(
        &self,
        request: Request<RankOffersRequest>,
    ) -> Answer<RankOffersResponse> {
        let caller = vte_service::auth::identity(&request)?.caller.clone();
        let request = request.into_inner();
        let mut errors = FieldErrors::new();
        let candidate_id = if request.candidate_id.trim().is_empty() {
            match &caller {
                Caller::Candidate { candidate_id } => Some(*candidate_id),
                _ => {
                    errors.push(
                        InvalidValue::new("is required unless the caller is the candidate")
                            .at("candidate_id"),
                    );
                    None
                }
            }
        } else {
            mapping::id(
                &request.candidate_id,
                "candidate_id",
                CandidateId::parse,
                &mut errors,
            )
        };
        let limit = mapping::limit(request.limit, &mut errors);
        let filters = request.filters.unwrap_or_default();
        let radius_km = mapping::km_bound(filters.radius_km, "filters.radius_km", &mut errors);
        let region_code = if filters.region_code.trim().is_empty() {
            None
        } else if self.reference.region(filters.region_code.trim()).is_some() {
            Some(filters.region_code.trim().to_owned())
        } else {
            errors.push(
                InvalidValue::new("must be an INSEE région code, 2 digits (e.g. 76)")
                    .at("filters.region_code"),
            );
            None
        };
        if filters.mission_types.len() > 8 {
            errors.push(InvalidValue::new("at most 8 mission types").at("filters.mission_types"));
        }
        let mut mission_types = Vec::new();
        for (i, number) in filters.mission_types.iter().enumerate() {
            match mapping::mission(*number) {
                Some(mission) => mission_types.push(mission),
                None => errors.push(
                    InvalidValue::new("must be a mission type")
                        .at(format!("filters.mission_types[{i}]")),
                ),
            }
        }
        let (Some(candidate_id), true) = (candidate_id, errors.is_empty()) else {
            return Err(invalid(errors));
        };
        let candidate = match self.find_candidate(candidate_id).await? {
            FoundCandidate::Matchable(candidate) => {
                access::rank_offers(&caller, &candidate_id, candidate.school.as_ref())?;
                candidate
            }
            FoundCandidate::NotMatchable(state) => {
                access::rank_offers(&caller, &candidate_id, state.school().as_ref())?;
                return Err(Status::failed_precondition(not_matchable_reason(&state)));
            }
        };
        let filter = OfferFilter {
            radius_km,
            region_code,
            only_in_territory: filters.only_in_territory,
            mission_types,
            exclude: Default::default(),
        };
        let rules = self.settings.rules;
        let ranked = candidate.clone();
        let ranking = self
            .with_index(move |index| index.rank_offers(&ranked, &rules, &filter, limit))
            .await?;
        let ids: Vec<OfferId> = ranking.hits.iter().map(|(offer, _)| offer.id).collect();
        let protos = self.offer_protos(&ids).await?;
        let offers = ranking
            .hits
            .iter()
            .filter_map(|(offer, assessment)| {
                let proto = protos.get(&offer.id)?;
                let explanation = domain::explain(
                    offer,
                    &candidate,
                    assessment,
                    rules.availability_tolerance_days,
                    Audience::Candidate,
                );
                Some(RankedOffer {
                    offer: Some(proto.clone()),
                    distance_km: mapping::distance(assessment.filters.distance_km),
                    score: mapping::score(assessment.score),
                    explanation: Some(mapping::explanation_to_proto(&explanation)),
                    aids: mapping::pair_aids(proto, candidate.academic),
                })
            })
            .collect();
        Ok(Response::new(RankOffersResponse {
            offers,
            eligible_count: ranking.eligible,
        }))
    }

    async fn offer_protos(&self, ids: &[OfferId]) -> Result<HashMap<OfferId, Offer>, Status> {
        let mut protos = HashMap::new();
        for (id, bytes) in store::load_offers(&self.pool, ids)
            .await
            .map_err(internal)?
        {
            protos.insert(id, Offer::decode(bytes.as_slice()).map_err(internal)?);
        }
        Ok(protos)
    }

    async fn explain_impl(
        &self,
        request: Request<ExplainMatchRequest>,
    ) -> Answer<ExplainMatchResponse> {
        let caller = vte_service::auth::identity(&request)?.caller.clone();
        let request = request.into_inner();
        let mut errors = FieldErrors::new();
        let offer_id = mapping::id(&request.offer_id, "offer_id", OfferId::parse, &mut errors);
        let candidate_id = mapping::id(
            &request.candidate_id,
            "candidate_id",
            CandidateId::parse,
            &mut errors,
        );
        let (Some(offer_id), Some(candidate_id)) = (offer_id, candidate_id) else {
            return Err(invalid(errors));
        };
        let (offer, owner) = match self.find_offer(offer_id).await? {
            FoundOffer::Open(offer) => {
                let owner = offer.siren;
                (Some(offer), owner)
            }
            FoundOffer::NotOpen { owner, model } => (model.map(|m| Arc::new(*m)), owner),
        };
        let candidate = self.find_candidate(candidate_id).await?;
        let school = match &candidate {
            FoundCandidate::Matchable(c) => c.school,
            FoundCandidate::NotMatchable(state) => state.school(),
        };
        let audience = access::explain(&caller, &owner, &candidate_id, school.as_ref())?;
        let offer = offer.ok_or_else(|| Status::not_found("no published offer with this id"))?;
        let candidate = match candidate {
            FoundCandidate::Matchable(candidate) => candidate,
            FoundCandidate::NotMatchable(_) if audience == Audience::Company => {
                // A profile that may not be ranked is never shown to a company.
                return Err(Status::not_found("no candidate with this id"));
            }
            FoundCandidate::NotMatchable(state) => return Ok(Response::new(not_matchable(&state))),
        };
        let rules = self.settings.rules;
        let assessment = assess(&offer, &candidate, &rules);
        let explanation = domain::explain(
            &offer,
            &candidate,
            &assessment,
            rules.availability_tolerance_days,
            audience,
        );
        let protos = self.offer_protos(&[offer_id]).await?;
        Ok(Response::new(ExplainMatchResponse {
            eligible: assessment.eligible(),
            filters: mapping::filters_to_proto(&explanation),
            score: mapping::score(assessment.score),
            explanation: Some(mapping::explanation_to_proto(&explanation)),
            distance_km: mapping::distance(assessment.filters.distance_km),
            aids: protos
                .get(&offer_id)
                .map(|proto| mapping::pair_aids(proto, candidate.academic))
                .unwrap_or_default(),
        }))
    }
}

/// Why a candidate may not be ranked, told to them (or their school).
fn not_matchable_reason(state: &CandidateState) -> String {
    if !state.consent_given {
        "Le consentement au matching n'est pas donné : le profil n'est proposé à aucune entreprise."
            .to_owned()
    } else if state.paused {
        "La recherche est en pause : le profil n'est proposé à aucune entreprise.".to_owned()
    } else {
        "Le profil est incomplet : il n'est pas encore proposé aux entreprises.".to_owned()
    }
}

/// ExplainMatch for a candidate who may not be ranked: consent and visibility, nothing scored.
fn not_matchable(state: &CandidateState) -> ExplainMatchResponse {
    let consent = FilterResult {
        kind: FilterKind::Consent as i32,
        passed: state.consent_given,
        reason: if state.consent_given {
            "Le consentement au matching est donné.".to_owned()
        } else {
            not_matchable_reason(state)
        },
    };
    // Incomplete profiles (consent given, search active) are not shown either.
    let incomplete = state.consent_given && !state.paused && !state.matchable;
    let visibility = FilterResult {
        kind: FilterKind::Visibility as i32,
        passed: !state.paused && !incomplete,
        reason: if state.paused || incomplete {
            not_matchable_reason(state)
        } else {
            "La recherche n'est pas en pause.".to_owned()
        },
    };
    ExplainMatchResponse {
        eligible: false,
        filters: vec![consent, visibility],
        score: 0.0,
        explanation: Some(Explanation {
            summary: not_matchable_reason(state),
            components: Vec::new(),
        }),
        distance_km: None,
        aids: Vec::new(),
    }
}

#[tonic::async_trait]
impl MatchingService for MatchingApi {
    async fn rank_candidates(
        &self,
        request: Request<RankCandidatesRequest>,
    ) -> Answer<RankCandidatesResponse> {
        self.rank_candidates_impl(request).await
    }

    async fn rank_offers(&self, request: Request<RankOffersRequest>) -> Answer<RankOffersResponse> {
        self.rank_offers_impl(request).await
    }

    async fn explain_match(
        &self,
        request: Request<ExplainMatchRequest>,
    ) -> Answer<ExplainMatchResponse> {
        self.explain_impl(request).await
    }
}
