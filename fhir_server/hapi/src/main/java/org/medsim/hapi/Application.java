package org.medsim.hapi;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Entry point of medsim's HAPI FHIR R4 server.
 *
 * <p>Spring Boot provides the embedded Tomcat, the connection pool ({@code spring.datasource.*})
 * and configuration binding; {@link JpaPlatformConfig} assembles HAPI's JPA storage and
 * {@link FhirServerConfig} exposes it as a FHIR REST servlet on {@code /fhir/*}. Boot's own JPA,
 * Quartz, Flyway and Elasticsearch auto-configurations are switched off in {@code application.yaml}
 * because HAPI brings its own.
 */
@SpringBootApplication
public class Application {

	public static void main(String[] args) {
		SpringApplication.run(Application.class, args);
	}
}
