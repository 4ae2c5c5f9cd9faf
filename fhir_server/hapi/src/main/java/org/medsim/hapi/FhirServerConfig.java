package org.medsim.hapi;

import ca.uhn.fhir.batch2.jobs.expunge.DeleteExpungeProvider;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.interceptor.CascadingDeleteInterceptor;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The FHIR REST face of the JPA storage: one HAPI {@link RestfulServer} servlet on {@code /fhir/*}.
 *
 * <p>It serves every R4 resource type (read, vread, search, create, update, patch, delete, history,
 * {@code $validate}, instance/type {@code $expunge}, Patient {@code $everything}), the system level
 * (transaction/batch Bundles, {@code $expunge}, {@code $meta}), {@code $delete-expunge}, and a
 * capability statement built from the live search-parameter registry at {@code /fhir/metadata}.
 */
@Configuration
public class FhirServerConfig {

	@Bean
	public RestfulServer fhirRestfulServer(
			FhirContext fhirContext,
			FhirProperties props,
			@Qualifier("myResourceProvidersR4") ResourceProviderFactory resourceProviders,
			JpaSystemProvider<?, ?> systemProvider,
			IFhirSystemDao<?, ?> systemDao,
			DatabaseBackedPagingProvider pagingProvider,
			JpaStorageSettings storageSettings,
			ISearchParamRegistry searchParamRegistry,
			IValidationSupport validationSupport,
			ObjectProvider<DeleteExpungeProvider> deleteExpungeProvider,
			ObjectProvider<CascadingDeleteInterceptor> cascadingDeleteInterceptor) {
		RestfulServer server = new RestfulServer(fhirContext);
		server.registerProviders(resourceProviders.createProviders());
		server.registerProvider(systemProvider);
		deleteExpungeProvider.ifAvailable(server::registerProvider);
		if (props.isAllowCascadingDeletes()) {
			server.registerInterceptor(cascadingDeleteInterceptor.getObject());
		}
		server.setPagingProvider(pagingProvider);
		server.setDefaultPageSize(props.getDefaultPageSize());
		server.setMaximumPageSize(props.getMaxPageSize());
		server.setDefaultResponseEncoding(EncodingEnum.JSON);
		server.setDefaultPrettyPrint(false);
		JpaCapabilityStatementProvider capabilities = new JpaCapabilityStatementProvider(
				server, systemDao, storageSettings, searchParamRegistry, validationSupport);
		capabilities.setImplementationDescription("medsim HAPI FHIR R4 server");
		server.setServerConformanceProvider(capabilities);
		return server;
	}

	/** Mounts the FHIR servlet at {@code /fhir/*}, initialised at start-up rather than on first hit. */
	@Bean
	public ServletRegistrationBean<RestfulServer> fhirServletRegistration(RestfulServer server) {
		ServletRegistrationBean<RestfulServer> reg = new ServletRegistrationBean<>(server, "/fhir/*");
		reg.setName("fhir");
		reg.setLoadOnStartup(1);
		return reg;
	}
}
