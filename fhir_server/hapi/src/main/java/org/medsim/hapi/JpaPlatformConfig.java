package org.medsim.hapi;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.IDaoRegistry;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.binary.api.IBinaryStorageSvc;
import ca.uhn.fhir.jpa.binstore.MemoryBinaryStorageSvcImpl;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.config.util.ResourceCountCacheUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgresDialect;
import ca.uhn.fhir.jpa.model.entity.StorageSettings.IndexEnabledEnum;
import ca.uhn.fhir.jpa.provider.DaoRegistryResourceSupportedSvc;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.jpa.search.IStaleSearchDeletingSvc;
import ca.uhn.fhir.jpa.search.StaleSearchDeletingSvcImpl;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.jpa.util.ResourceCountCache;
import ca.uhn.fhir.rest.api.IResourceSupportedSvc;
import jakarta.persistence.EntityManagerFactory;
import java.util.Properties;
import javax.sql.DataSource;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.boot.autoconfigure.orm.jpa.JpaProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/**
 * HAPI's JPA storage layer for FHIR R4, wired by hand instead of through a starter project.
 *
 * <p>{@link JpaR4Config} brings the R4 context, every resource DAO and provider, the system DAO
 * (transactions, {@code $expunge}) and HAPI's core {@code JpaConfig}. The batch2 configs run the
 * asynchronous jobs behind {@code _expunge=true} / {@code $delete-expunge} and reindexing. This
 * class supplies what HAPI expects the application to own: the storage settings, the entity
 * manager factory over Boot's pooled {@link DataSource}, the transaction manager, and the few
 * beans of HAPI's {@code HapiJpaConfig} that do not involve Hibernate Search (full-text indexing
 * is off: medsim needs no {@code _text}/{@code _content}, and it costs start-up time and memory).
 */
@Configuration
@EnableConfigurationProperties({FhirProperties.class, JpaProperties.class})
@Import({
	JpaR4Config.class,
	JpaBatch2Config.class,
	Batch2JobsConfig.class,
	ThreadPoolFactoryConfig.class,
	SubscriptionChannelConfig.class
})
public class JpaPlatformConfig {

	/** Translates medsim's {@code hapi.fhir.*} settings into HAPI's storage settings. */
	@Bean
	public JpaStorageSettings storageSettings(FhirProperties props) {
		JpaStorageSettings s = new JpaStorageSettings();
		long reuse = props.getReuseCachedSearchResultsMillis();
		// null = never reuse a cached result set (and ignore Cache-Control): every search is fresh.
		s.setReuseCachedSearchResultsForMillis(reuse < 0 ? null : reuse);
		s.setExpungeEnabled(props.isExpungeEnabled());
		s.setDeleteExpungeEnabled(props.isDeleteExpungeEnabled());
		s.setAllowMultipleDelete(props.isAllowMultipleDelete());
		s.setAllowExternalReferences(props.isAllowExternalReferences());
		s.setEnforceReferentialIntegrityOnWrite(props.isEnforceReferentialIntegrityOnWrite());
		s.setEnforceReferentialIntegrityOnDelete(props.isEnforceReferentialIntegrityOnDelete());
		s.setResourceClientIdStrategy(props.getClientIdStrategy());
		s.setResourceServerIdStrategy(props.getServerIdStrategy());
		s.setAllowContainsSearches(props.isAllowContainsSearches());
		s.setIndexMissingFields(
				props.isEnableIndexMissingFields() ? IndexEnabledEnum.ENABLED : IndexEnabledEnum.DISABLED);
		s.setAutoCreatePlaceholderReferenceTargets(false);
		s.setHibernateSearchIndexSearchParams(false);
		s.setHibernateSearchIndexFullText(false);
		// Batch jobs (DELETE ?_expunge=true) advance a step as soon as it finishes instead of
		// waiting for the once-a-minute maintenance pass.
		s.setJobFastTrackingEnabled(true);
		return s;
	}

	@Bean
	public PartitionSettings partitionSettings() {
		return new PartitionSettings();
	}

	@Bean
	public SubscriptionSettings subscriptionSettings() {
		return new SubscriptionSettings();
	}

	/** Binary content (Binary resources, attachments) kept in memory: medsim stores none at scale. */
	@Bean
	public IBinaryStorageSvc binaryStorageSvc() {
		return new MemoryBinaryStorageSvcImpl();
	}

	/**
	 * HAPI's entity manager factory over Boot's data source. Hibernate properties come from
	 * {@code spring.jpa.properties.*}; the dialect defaults to HAPI's H2 or PostgreSQL dialect,
	 * chosen from the JDBC URL, unless {@code hibernate.dialect} is given explicitly.
	 */
	@Bean
	public LocalContainerEntityManagerFactoryBean entityManagerFactory(
			ConfigurableListableBeanFactory beanFactory,
			FhirContext fhirContext,
			JpaStorageSettings storageSettings,
			DataSource dataSource,
			DataSourceProperties dataSourceProperties,
			JpaProperties jpaProperties) {
		LocalContainerEntityManagerFactoryBean emf =
				HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
		emf.setPersistenceUnitName("HAPI_PU");
		emf.setDataSource(dataSource);
		Properties props = new Properties();
		props.put("hibernate.hbm2ddl.auto", "update");
		props.put("hibernate.search.enabled", "false");
		props.putAll(jpaProperties.getProperties());
		if (!props.containsKey("hibernate.dialect")) {
			String url = String.valueOf(dataSourceProperties.determineUrl());
			boolean postgres = url.startsWith("jdbc:postgresql:");
			props.put(
					"hibernate.dialect",
					(postgres ? HapiFhirPostgresDialect.class : HapiFhirH2Dialect.class).getName());
		}
		// Adds to (does not replace) the properties HapiEntityManagerFactoryUtil may have set.
		emf.setJpaProperties(props);
		return emf;
	}

	@Bean
	@Primary
	public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
		return new JpaTransactionManager(entityManagerFactory);
	}

	// ---- HapiJpaConfig's beans, minus the Hibernate Search ones ----

	@Bean
	public IStaleSearchDeletingSvc staleSearchDeletingSvc() {
		return new StaleSearchDeletingSvcImpl();
	}

	/** Serves the pages after the first of a search ({@code _getpages}); sizes set by the server. */
	@Bean
	public DatabaseBackedPagingProvider databaseBackedPagingProvider(FhirProperties props) {
		DatabaseBackedPagingProvider paging = new DatabaseBackedPagingProvider();
		paging.setDefaultPageSize(props.getDefaultPageSize());
		paging.setMaximumPageSize(props.getMaxPageSize());
		return paging;
	}

	@Bean
	public IResourceSupportedSvc resourceSupportedSvc(IDaoRegistry daoRegistry) {
		return new DaoRegistryResourceSupportedSvc(daoRegistry);
	}

	@Bean(name = "myResourceCountsCache")
	public ResourceCountCache resourceCountsCache(IFhirSystemDao<?, ?> systemDao) {
		return ResourceCountCacheUtil.newResourceCountCache(systemDao);
	}
}
