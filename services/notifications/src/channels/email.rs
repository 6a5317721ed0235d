//! Email over SMTP: the French message (a plain-text part and an HTML alternative with the same
//! facts) and the lettre transport, secured and authenticated as the settings say. The address
//! and the greeting come from the contact lookup at delivery time and are never stored or
//! logged.

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{SiteUrl, SmtpSettings, SmtpTls};
use crate::domain::Kind;
use crate::domain::compose::Text;
use crate::store::deliveries::Attempt;

/// An email ready to send: subject, plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The email of one notification, or with `digest` the day's notifications of one kind.
pub fn render(first_name: &str, items: &[&Text], digest: Option<Kind>, site: &SiteUrl) -> Email {
    let greeting = if first_name.trim().is_empty() {
        String::from("Bonjour,")
    } else {
        format!("Bonjour {},", first_name.trim())
    };
    let subject = match (digest, items) {
        (None, [one, ..]) => one.title.clone(),
        (Some(kind), _) => format!(
            "Votre résumé du jour : {} ({})",
            kind.label_fr(),
            items.len()
        ),
        (None, []) => String::from("Notification VTE"),
    };
    let preferences = site.join("/preferences");
    let mut text = format!("{greeting}\n\n");
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body><p>{}</p>",
        escape(&subject),
        escape(&greeting)
    );
    for item in items {
        if digest.is_some() {
            text.push_str(&format!("## {}\n\n", item.title));
            html.push_str(&format!("<h2>{}</h2>", escape(&item.title)));
        }
        text.push_str(&item.body);
        text.push_str("\n\n");
        for paragraph in item.body.split("\n\n") {
            html.push_str(&format!(
                "<p>{}</p>",
                escape(paragraph).replace('\n', "<br>")
            ));
        }
        if !item.link.is_empty() {
            let link = site.join(&item.link);
            text.push_str(&format!("Voir sur la plateforme : {link}\n\n"));
            html.push_str(&format!(
                "<p><a href=\"{}\">Voir sur la plateforme</a></p>",
                escape(&link)
            ));
        }
    }
    let footer = format!(
        "Vous recevez ce message de la plateforme VTE (Volontariat Territorial en Entreprise). \
         Choisissez ce que vous recevez, et quand : {preferences}"
    );
    text.push_str(&format!("--\n{footer}\n"));
    html.push_str(&format!(
        "<hr><p style=\"font-size:small\">{}</p></body></html>",
        escape(&footer)
    ));
    Email {
        subject,
        text,
        html,
    }
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The SMTP settings cannot make a transport.
#[derive(Debug, thiserror::Error)]
#[error("notifications.smtp.{setting}: {message}")]
pub struct MailerError {
    setting: &'static str,
    message: String,
}

/// Sends emails through the configured relay, over a pool of connections.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for the relay of `settings` (connections open on first use).
    pub fn new(settings: &SmtpSettings) -> Result<Self, MailerError> {
        let error = |setting, message: String| MailerError { setting, message };
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| error("from", format!("not a mailbox: {e}")))?;
        let builder = match settings.tls {
            SmtpTls::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
            SmtpTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .map_err(|e| error("host", e.to_string()))?
            }
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
                .map_err(|e| error("host", e.to_string()))?,
        };
        let mut builder = builder
            .port(settings.port)
            .timeout(Some(settings.timeout()))
            .pool_config(PoolConfig::new().max_size(settings.pool_size.max(1)));
        match (&settings.username, &settings.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(
                    user.clone(),
                    password.expose_secret().to_owned(),
                ));
            }
            (None, None) => {}
            _ => {
                return Err(error(
                    "username",
                    String::from("set both username and password, or neither"),
                ));
            }
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Sends `email` to `to` as the message `id` (the delivery's). A refusal by the relay (5xx)
    /// or an unusable address is permanent; anything else is worth retrying.
    pub async fn send(&self, to: &str, email: &Email, id: uuid::Uuid) -> Attempt {
        let failed = |error, permanent| Attempt::Failed {
            error,
            http_status: 0,
            permanent,
        };
        let Ok(to) = to.parse::<Mailbox>() else {
            return failed("invalid_address", true);
        };
        // Every email its own Message-ID (RFC 5322 3.6.4), on the sender's domain: relays and
        // mail clients thread, deduplicate and trace by it, and some spam filters score its
        // absence. It is the delivery's id: the same email sent again (the worker died after the
        // relay accepted it, before recording it, and its lease ran out) carries the same
        // Message-ID, so mail systems that deduplicate show it once. An opaque id: it tells
        // nothing of the recipient or the host.
        let message_id = format!("<{}@{}>", id.simple(), self.from.email.domain());
        let message = Message::builder()
            .message_id(Some(message_id))
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ));
        let message = match message {
            Ok(message) => message,
            Err(_) => return failed("invalid_message", true),
        };
        match self.transport.send(message).await {
            Ok(_) => Attempt::Delivered { http_status: 0 },
            Err(error) if error.is_permanent() => failed("smtp_rejected", true),
            Err(error) if error.is_transient() => failed("smtp_deferred", false),
            Err(error) if error.is_timeout() => failed("timeout", false),
            Err(_) => failed("smtp_unavailable", false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_part_escapes_what_the_text_part_says() {
        let text = Text {
            title: "Offre <R&D>".to_owned(),
            body: "Une offre « R&D » à Figeac.\n\nProchaine étape : postuler.".to_owned(),
            link: "/offres-suggerees".to_owned(),
        };
        let email = render("Jeanne", &[&text], None, &SiteUrl::default());
        assert_eq!(email.subject, "Offre <R&D>");
        assert!(
            email
                .text
                .starts_with("Bonjour Jeanne,\n\nUne offre « R&D » à Figeac.")
        );
        assert!(
            email
                .text
                .contains("https://vte-france.fr/offres-suggerees")
        );
        assert!(
            email
                .html
                .contains("<p>Une offre « R&amp;D » à Figeac.</p>")
        );
        assert!(!email.html.contains("<R&D>"));
    }

    #[test]
    fn a_digest_gathers_every_item_under_its_title() {
        let items: Vec<Text> = (1..=3)
            .map(|n| Text {
                title: format!("Titre {n}"),
                body: format!("Corps {n}"),
                link: String::new(),
            })
            .collect();
        let refs: Vec<&Text> = items.iter().collect();
        let email = render(
            "",
            &refs,
            Some(Kind::ApplicationStatusChanged),
            &SiteUrl::default(),
        );
        assert_eq!(
            email.subject,
            "Votre résumé du jour : suivi des candidatures (3)"
        );
        for n in 1..=3 {
            assert!(email.text.contains(&format!("## Titre {n}\n\nCorps {n}")));
        }
    }
}
