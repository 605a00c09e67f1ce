CREATE TABLE `totp_authenticators` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`secret_sealed` varchar(255) NOT NULL,
	`last_step` bigint unsigned NOT NULL,
	`created_at` datetime(3) NOT NULL,
	`created_ip` varchar(45) NOT NULL,
	`created_user_agent` varchar(255) NOT NULL,
	`last_used_at` datetime(3),
	`revoked_at` datetime(3),
	CONSTRAINT `totp_authenticators_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
ALTER TABLE `webauthn_credentials` ADD `device_type` varchar(16);--> statement-breakpoint
ALTER TABLE `webauthn_credentials` ADD `backed_up` tinyint unsigned;--> statement-breakpoint
ALTER TABLE `totp_authenticators` ADD CONSTRAINT `totp_authenticators_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `totp_authenticators_user_id_idx` ON `totp_authenticators` (`user_id`);