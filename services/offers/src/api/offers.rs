//! Offers: a company writes drafts, publishes and closes them; the website browses published
//! offers. Ending an offer (filled, closed) closes its open applications in the same
//! transaction, each with its own event.

use sqlx::{Postgres, Transaction};
use tonic::{Request, Response, Status};
use vte_domain::{InvalidValue, OfferId};
use vte_proto::vte::offers::v1::*;
use vte_service::auth::Caller;

use super::{
    Answer, OffersApi, append, caller, commit, decoded, internal, invalid_field, not_found, now,
    page_request, page_response, ruled, stored, today,
};
use crate::access;
use crate::domain::{Offer, OfferChange, OfferStatus, close_out_applications, validate_draft};
use crate::mapping::{self, TerritoryScope};
use crate::store::{self, search};

impl OffersApi {
    pub(super) async fn create(
        &self,
        request: Request<CreateOfferRequest>,
    ) -> Answer<CreateOfferResponse> {
        let (identity, _) = caller(&request)?;
        let input = decoded(mapping::create_offer_input(request.get_ref()))?;
        let siren = access::offer_owner(&identity.caller, input.company_siren)?;
        let draft = decoded(validate_draft(&input.spec, &self.reference))?;
        let offer = Offer::draft(OfferId::new(), siren, draft, now());
        let mut transaction = self.begin().await?;
        stored(store::insert_offer(&mut transaction, &offer, &self.reference).await)?;
        append(
            &mut transaction,
            &mapping::offer_event(&offer, OfferChange::Drafted),
        )
        .await?;
        commit(transaction).await?;
        Ok(Response::new(CreateOfferResponse {
            offer: Some(mapping::offer_to_proto(&offer)),
        }))
    }

    pub(super) async fn update(
        &self,
        request: Request<UpdateOfferRequest>,
    ) -> Answer<UpdateOfferResponse> {
        let (identity, _) = caller(&request)?;
        let input = decoded(mapping::update_offer_input(request.get_ref()))?;
        let now = now();
        let offer = self
            .change_offer(&identity.caller, input.offer_id, |offer| {
                offer.check_revision(input.expected_revision)?;
                offer.update(&input.spec, &self.reference, today(now), now)
            })
            .await?;
        Ok(Response::new(UpdateOfferResponse { offer: Some(offer) }))
    }

    pub(super) async fn publish(
        &self,
        request: Request<PublishOfferRequest>,
    ) -> Answer<PublishOfferResponse> {
        let (identity, _) = caller(&request)?;
        let input = decoded(mapping::publish_offer_input(request.get_ref()))?;
        let now = now();
        let offer = self
            .change_offer(&identity.caller, input.offer_id, |offer| {
                offer.check_revision(input.expected_revision)?;
                offer.publish(&self.reference, today(now), now)
            })
            .await?;
        Ok(Response::new(PublishOfferResponse { offer: Some(offer) }))
    }

    pub(super) async fn close(
        &self,
        request: Request<CloseOfferRequest>,
    ) -> Answer<CloseOfferResponse> {
        let (identity, _) = caller(&request)?;
        let input = decoded(mapping::close_offer_input(request.get_ref()))?;
        let now = now();
        let offer = self
            .change_offer(&identity.caller, input.offer_id, |offer| {
                offer.close(&input.reason, now)
            })
            .await?;
        Ok(Response::new(CloseOfferResponse { offer: Some(offer) }))
    }

    /// Locks the offer, checks the caller owns it, applies `change`, saves it with one event,
    /// and closes its open applications if it ended.
    async fn change_offer(
        &self,
        caller: &Caller,
        id: OfferId,
        change: impl FnOnce(&Offer) -> Result<Offer, crate::domain::DomainError>,
    ) -> Result<vte_proto::vte::offers::v1::Offer, Status> {
        let mut transaction = self.begin().await?;
        let offer = stored(store::lock_offer(&mut transaction, id, &self.reference).await)?
            .ok_or_else(|| not_found("offer"))?;
        access::manage_offer(caller, &offer.company_siren)?;
        let next = ruled(change(&offer))?;
        stored(store::save_offer(&mut transaction, &next, offer.revision, &self.reference).await)?;
        let event = mapping::offer_event(&next, OfferChange::between(&offer, &next));
        append(&mut transaction, &event).await?;
        close_out(&mut transaction, &next).await?;
        commit(transaction).await?;
        Ok(mapping::offer_to_proto(&next))
    }

    pub(super) async fn get(&self, request: Request<GetOfferRequest>) -> Answer<GetOfferResponse> {
        let (identity, _) = caller(&request)?;
        let id = decoded(mapping::parse_id("offer_id", &request.get_ref().offer_id))?;
        let offer = stored(store::load_offer(&self.pool, id, &self.reference).await)?
            .ok_or_else(|| not_found("offer"))?;
        let published = offer.status == OfferStatus::Published;
        access::read_offer(&identity.caller, &offer.company_siren, published)?;
        Ok(Response::new(GetOfferResponse {
            offer: Some(mapping::offer_to_proto(&offer)),
        }))
    }

    pub(super) async fn list(
        &self,
        request: Request<ListOffersRequest>,
    ) -> Answer<ListOffersResponse> {
        let (identity, _) = caller(&request)?;
        let input = decoded(mapping::list_offers_input(request.get_ref()))?;
        // A company lists its own offers; operators, services and Bpifrance name the company.
        let company = match (&identity.caller, input.company_siren) {
            (Caller::Company { siren }, None) => *siren,
            (Caller::Company { siren }, Some(given)) if given == *siren => given,
            (Caller::Admin | Caller::Service, Some(given)) => given,
            (Caller::Admin | Caller::Service, None) => {
                return Err(invalid_field(
                    "company_siren",
                    InvalidValue::new("is required for this role"),
                ));
            }
            _ => {
                return Err(Status::permission_denied(
                    "a company lists only its own offers",
                ));
            }
        };
        let page = page_request(input.page)?;
        let found = stored(
            store::list_company_offers(
                &self.pool,
                &company,
                &input.statuses,
                page,
                &self.reference,
            )
            .await,
        )?;
        Ok(Response::new(ListOffersResponse {
            offers: found.items.iter().map(mapping::offer_to_proto).collect(),
            page: page_response(found.next),
        }))
    }

    pub(super) async fn search(
        &self,
        request: Request<SearchOffersRequest>,
    ) -> Answer<SearchOffersResponse> {
        caller(&request)?;
        let input = decoded(mapping::search_request_input(request.get_ref()))?;
        let near = match &input.near {
            Some(near) => {
                let centre = self
                    .reference
                    .commune(&near.insee)
                    .and_then(|commune| commune.centre())
                    .ok_or_else(|| {
                        invalid_field(
                            mapping::search::NEAR_INSEE_FIELD,
                            InvalidValue::new(format!(
                                "no commune with INSEE code {} and a known centre",
                                near.insee
                            )),
                        )
                    })?;
                Some((centre, f64::from(near.radius_km)))
            }
            None => None,
        };
        let after = match &input.cursor {
            Some(token) => Some(
                search::Cursor::decode(token)
                    .map_err(|rule| invalid_field("page.page_token", rule))?,
            ),
            None => None,
        };
        let query = search::OfferSearch {
            mission_types: input.mission_types.clone(),
            region: input.region.clone(),
            departement: input.departement.clone(),
            territory: match &input.territory {
                TerritoryScope::Any => search::TerritoryFilter::Any,
                TerritoryScope::InAnyTerritory => search::TerritoryFilter::AnyTerritoire,
                TerritoryScope::Territory(id) => search::TerritoryFilter::Territoire(id.clone()),
            },
            contract_kinds: input.contract_kinds.clone(),
            ecological_transition_only: input.ecological_transition_only,
            level: input.level,
            near,
            page_size: input.page_size,
            after,
        };
        let page = search::search(&self.pool, &query).await.map_err(internal)?;
        let ids: Vec<OfferId> = page
            .offer_ids()
            .into_iter()
            .map(OfferId::from_uuid)
            .collect();
        let offers = stored(store::load_offers(&self.pool, &ids, &self.reference).await)?;
        let results = offers
            .iter()
            .map(|offer| OfferSearchResult {
                // One decimal, as the contract says.
                distance_km: page
                    .found
                    .iter()
                    .find(|found| found.offer_id == offer.id.as_uuid())
                    .and_then(|found| found.distance_km)
                    .map(|km| (km * 10.0).round() / 10.0),
                offer: Some(mapping::offer_to_proto(offer)),
            })
            .collect();
        Ok(Response::new(SearchOffersResponse {
            results,
            page: Some(vte_proto::vte::common::v1::PageResponse {
                next_page_token: page.next.map(|c| c.encode()).unwrap_or_default(),
            }),
        }))
    }
}

/// When `offer` has just ended (filled, closed, expired), its open applications end with it:
/// each saved with its own event.
pub(crate) async fn close_out(
    transaction: &mut Transaction<'static, Postgres>,
    offer: &Offer,
) -> Result<(), Status> {
    if !matches!(
        offer.status,
        OfferStatus::Filled | OfferStatus::Closed | OfferStatus::Expired
    ) {
        return Ok(());
    }
    let open = stored(store::open_applications_of_offer(transaction, offer.id).await)?;
    for closed in close_out_applications(offer, &open, offer.updated_at) {
        let before = open
            .iter()
            .find(|application| application.id == closed.id)
            .map_or(closed.revision, |application| application.revision);
        stored(store::save_application(transaction, &closed, before).await)?;
        append(transaction, &mapping::application_event(&closed)).await?;
    }
    Ok(())
}
