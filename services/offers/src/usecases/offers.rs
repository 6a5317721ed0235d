//! Offers: a company writes drafts, publishes and closes them; the website browses published
//! offers. An offer that ends (filled, closed, expired) closes out its open applications and
//! expires its pending invitations in the same transaction, each with its own event:
//! `save_offer_change` does it for the API and the expiry sweep alike.

use sqlx::{Postgres, Transaction};
use vte_domain::{InvalidValue, OfferId};
use vte_reference::ReferenceData;
use vte_rules::RuleBook;
use vte_service::auth::Identity;

use super::{Offers, again, now, page_request, today};
use crate::access;
use crate::domain::{
    DomainError, Offer, OfferChange, OfferStatus, close_out_applications, same_company_name,
    validate_draft,
};
use crate::error::Error;
use crate::mapping::{
    self, CloseOfferInput, CreateOfferInput, ListOffersInput, PublishOfferInput,
    SearchRequestInput, TerritoryScope, UpdateOfferInput,
};
use crate::store::{self, Page, search};

/// One offer the website's search found.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    /// The offer.
    pub offer: Offer,
    /// How far it is from the circle's centre, in km, when the search named a circle.
    pub distance_km: Option<f64>,
}

/// A page of the website's search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// The offers found, in the search's order.
    pub results: Vec<SearchResult>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<search::Cursor>,
}

impl Offers {
    /// A company writes a new draft (or an operator writes it for the company it names).
    pub async fn create_offer(
        &self,
        who: &Identity,
        input: CreateOfferInput,
    ) -> Result<Offer, Error> {
        let siren = access::offer_owner(&who.caller, input.company_siren)?;
        let draft = validate_draft(&input.spec, &self.reference)?;
        let offer = Offer::draft(OfferId::new(), siren, draft, now());
        let mut transaction = self.pool.begin().await?;
        bind_company_name(&mut transaction, &offer).await?;
        store::insert_offer(&mut transaction, &offer, &self.reference, &self.rules).await?;
        let event = mapping::offer_event(&offer, OfferChange::Drafted, &self.rules);
        vte_events::append(&mut transaction, &event).await?;
        transaction.commit().await?;
        Ok(offer)
    }

    /// The offer's company (or an operator) replaces its content.
    pub async fn update_offer(
        &self,
        who: &Identity,
        input: UpdateOfferInput,
    ) -> Result<Offer, Error> {
        let now = now();
        self.change_offer(who, input.offer_id, |offer| {
            offer.check_revision(input.expected_revision)?;
            offer.update(&input.spec, &self.reference, today(now), now)
        })
        .await
    }

    /// The offer's company (or an operator) publishes it.
    pub async fn publish_offer(
        &self,
        who: &Identity,
        input: PublishOfferInput,
    ) -> Result<Offer, Error> {
        let now = now();
        self.change_offer(who, input.offer_id, |offer| {
            offer.check_revision(input.expected_revision)?;
            offer.publish(&self.reference, today(now), now)
        })
        .await
    }

    /// The offer's company (or an operator) closes it; its open applications end with it.
    pub async fn close_offer(
        &self,
        who: &Identity,
        input: CloseOfferInput,
    ) -> Result<Offer, Error> {
        let now = now();
        self.change_offer(who, input.offer_id, |offer| offer.close(&input.reason, now))
            .await
    }

    /// Locks the offer, checks the caller manages it, applies `change` and saves the result
    /// ([`save_offer_change`]); runs again when PostgreSQL aborts it for a lock conflict (a
    /// close racing an acceptance).
    async fn change_offer(
        &self,
        who: &Identity,
        id: OfferId,
        change: impl Fn(&Offer) -> Result<Offer, DomainError>,
    ) -> Result<Offer, Error> {
        let mut attempt = 1;
        loop {
            match self.change_offer_once(who, id, &change).await {
                Err(error) if again(&error, &mut attempt).await => {}
                outcome => return outcome,
            }
        }
    }

    /// One attempt of [`Offers::change_offer`]: the offer locked first, then its open
    /// applications, the order every writer of both follows.
    async fn change_offer_once(
        &self,
        who: &Identity,
        id: OfferId,
        change: &impl Fn(&Offer) -> Result<Offer, DomainError>,
    ) -> Result<Offer, Error> {
        let mut transaction = self.pool.begin().await?;
        let offer = store::lock_offer(&mut transaction, id, &self.reference)
            .await?
            .ok_or(Error::NotFound("offer"))?;
        // Another company's draft reads as absent; its published offer is refused.
        let published = offer.status == OfferStatus::Published;
        access::read_offer(&who.caller, &offer.company_siren, published)?;
        access::manage_offer(&who.caller, &offer.company_siren)?;
        let next = change(&offer)?;
        if next.content.company_name() != offer.content.company_name() {
            bind_company_name(&mut transaction, &next).await?;
        }
        save_offer_change(
            &mut transaction,
            &self.reference,
            &self.rules,
            &offer,
            &next,
        )
        .await?;
        transaction.commit().await?;
        Ok(next)
    }

    /// An offer: published ones for anyone, the others for their company, operators and
    /// services.
    pub async fn get_offer(&self, who: &Identity, id: OfferId) -> Result<Offer, Error> {
        let offer = store::load_offer(&self.pool, id, &self.reference)
            .await?
            .ok_or(Error::NotFound("offer"))?;
        let published = offer.status == OfferStatus::Published;
        access::read_offer(&who.caller, &offer.company_siren, published)?;
        Ok(offer)
    }

    /// A page of one company's offers, most recently updated first.
    pub async fn list_offers(
        &self,
        who: &Identity,
        input: ListOffersInput,
    ) -> Result<Page<Offer>, Error> {
        let company = access::list_offers_of(&who.caller, input.company_siren)?;
        let page = page_request(input.page)?;
        let found = store::list_company_offers(
            &self.pool,
            &company,
            &input.statuses,
            page,
            &self.reference,
        )
        .await?;
        Ok(found)
    }

    /// The website's search among published offers (any authenticated caller may browse).
    pub async fn search_offers(&self, input: SearchRequestInput) -> Result<SearchResults, Error> {
        let near = match &input.near {
            Some(near) => {
                let centre = self
                    .reference
                    .commune(&near.insee)
                    .and_then(|commune| commune.centre())
                    .ok_or_else(|| {
                        Error::invalid_field(
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
                    .map_err(|rule| Error::invalid_field("page.page_token", rule))?,
            ),
            None => None,
        };
        let query = search::OfferSearch {
            mission_types: input.mission_types,
            region: input.region,
            departement: input.departement,
            territory: match input.territory {
                TerritoryScope::Any => search::TerritoryFilter::Any,
                TerritoryScope::InAnyTerritory => search::TerritoryFilter::AnyTerritoire,
                TerritoryScope::Territory(id) => search::TerritoryFilter::Territoire(id),
            },
            programme: input.programme,
            contract_kinds: input.contract_kinds,
            ecological_transition_only: input.ecological_transition_only,
            level: input.level,
            near,
            page_size: input.page_size,
            after,
        };
        let page = search::search(&self.pool, &query).await?;
        let ids: Vec<OfferId> = page
            .offer_ids()
            .into_iter()
            .map(OfferId::from_uuid)
            .collect();
        let offers = store::load_offers(&self.pool, &ids, &self.reference).await?;
        let results = offers
            .into_iter()
            .map(|offer| SearchResult {
                distance_km: page
                    .found
                    .iter()
                    .find(|found| found.offer_id == offer.id.as_uuid())
                    .and_then(|found| found.distance_km),
                offer,
            })
            .collect();
        Ok(SearchResults {
            results,
            next: page.next,
        })
    }
}

/// Binds the offer's company name to its SIREN on first use, and refuses a name other than the
/// one first registered for the SIREN (`INVALID_ARGUMENT` on `spec.company_name`, naming the
/// registered name), so no company's token posts under another company's name. No verified
/// register of companies is reachable (DESIGN.md names none): the first name given stands.
async fn bind_company_name(
    transaction: &mut Transaction<'static, Postgres>,
    offer: &Offer,
) -> Result<(), Error> {
    let Some(name) = offer.content.company_name() else {
        return Ok(());
    };
    let bound =
        store::bind_company_name(transaction, &offer.company_siren, name, offer.updated_at).await?;
    if same_company_name(&bound, name) {
        return Ok(());
    }
    Err(Error::invalid_field(
        "spec.company_name",
        InvalidValue::new(format!(
            "must be the name registered for SIREN {}: {}",
            offer.company_siren,
            vte_domain::echo(&bound)
        )),
    ))
}

/// Saves `after`, the offer `before` (locked in `transaction`) became, with its one event, and
/// when it has just ended closes out its open applications ([`close_out`]). The API's changes
/// and the expiry sweep both save an offer this way.
pub(crate) async fn save_offer_change(
    transaction: &mut Transaction<'static, Postgres>,
    reference: &ReferenceData,
    rules: &RuleBook,
    before: &Offer,
    after: &Offer,
) -> Result<(), Error> {
    store::save_offer(transaction, after, before.revision, reference, rules).await?;
    let event = mapping::offer_event(after, OfferChange::between(before, after), rules);
    vte_events::append(transaction, &event).await?;
    close_out(transaction, after).await
}

/// When `offer` has just ended (filled, closed, expired), its open applications end with it, as
/// the domain says, and its pending invitations expire: each saved with its own event.
async fn close_out(
    transaction: &mut Transaction<'static, Postgres>,
    offer: &Offer,
) -> Result<(), Error> {
    if !matches!(
        offer.status,
        OfferStatus::Filled | OfferStatus::Closed | OfferStatus::Expired
    ) {
        return Ok(());
    }
    let open = store::open_applications_of_offer(transaction, offer.id).await?;
    for closed in close_out_applications(offer, &open, offer.updated_at) {
        let before = open
            .iter()
            .find(|application| application.id == closed.id)
            .map_or(closed.revision, |application| application.revision);
        store::save_application(transaction, &closed, before).await?;
        vte_events::append(transaction, &mapping::application_event(&closed)).await?;
    }
    super::invitations::expire_pending(transaction, offer).await
}
