//! `/ofrep/v1/…`: blocks as OpenFeature flags. Trust is decided here: a
//! server presenting an API key describes the visitor itself; any other
//! caller is the visitor of its own cookies, identified as a page would
//! identify them (signals and network labels included).

use crate::edge::Edge;
use crate::events;
use crate::http::Response;
use crate::ofrep::{self, BodyError};
use crate::platform::{Clock, Platform};
use crate::route::{gates, Ofrep, Refusal, Request};

impl<P: Platform> Edge<'_, P> {
    pub(super) async fn ofrep(
        &self,
        route: &Result<Ofrep, Refusal>,
        req: &Request,
        body: Option<String>,
    ) -> Response {
        let preflight = matches!(route, Ok(Ofrep::Preflight));
        let mut response = match route {
            Ok(route) => self.evaluate(route, req, body).await,
            Err(refused) => ofrep::refusal(*refused),
        };
        response.headers.extend(ofrep::cors_headers(
            req.origin.as_deref(),
            &self.config.ofrep_cors_origins,
            preflight,
        ));
        response
    }

    async fn evaluate(&self, route: &Ofrep, req: &Request, body: Option<String>) -> Response {
        let key = match route {
            Ofrep::Preflight => return Response::empty(204),
            Ofrep::Configuration => return ofrep::configuration(),
            Ofrep::Single(key) => Some(key.as_str()),
            Ofrep::Bulk => None,
        };
        let Some(body) = body else {
            let error = BodyError {
                code: "PARSE_ERROR",
                details: "request body is larger than 16 KiB",
            };
            return ofrep::body_error(&error, key);
        };
        let context = match ofrep::parse_context(&body) {
            Ok(context) => context,
            Err(error) => return ofrep::body_error(&error, key),
        };
        let catalog = match self.catalog_now().await {
            Ok(catalog) => catalog,
            Err(reason) => {
                self.platform
                    .log(&format!("tailor: OFREP evaluation unavailable: {reason}"));
                return ofrep::unavailable(key);
            }
        };
        let visitor = if gates::ofrep_trusted(self.config, req) {
            ofrep::server_visitor(&context)
        } else {
            let mut visitor = self.visitor_of(req, req.path(), Some(catalog.manifest.as_ref()));
            ofrep::add_client_context(&mut visitor, &context);
            visitor
        };
        let decisions = self.decide_for(&catalog, &visitor);
        if let (Some(site), Some(_)) = (self.config.site.as_deref(), self.platform.events()) {
            let evaluated: Vec<_> = decisions
                .iter()
                .filter(|d| key.is_none_or(|k| k == d.block))
                .cloned()
                .collect();
            let now_ms = self.platform.clock().now_unix_ms();
            let version = &catalog.manifest.version;
            self.send_events(events::ofrep_exposures(
                &evaluated, &visitor, version, site, now_ms,
            ));
        }
        match key {
            None => ofrep::bulk(&catalog, &decisions, req.if_none_match.as_deref()),
            Some(key) => ofrep::single(key, &catalog, &decisions),
        }
    }
}
